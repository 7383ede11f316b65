using MambaServe.Server.OpenAi.Chat.Templates;

namespace MambaServe.Server.Tests.OpenAi.Chat.Templates;

/// <summary>Parse-and-render shorthands for the interpreter tests.</summary>
internal static class Jinja
{
    public static string Render(string source, IReadOnlyDictionary<string, object?>? variables = null, TemplateOptions? options = null) =>
        JinjaTemplate.Parse(source, options).Render(variables ?? new Dictionary<string, object?>());

    /// <summary>Rendered as transformers renders chat templates (trim_blocks and lstrip_blocks on).</summary>
    public static string RenderHf(string source, IReadOnlyDictionary<string, object?>? variables = null) =>
        Render(source, variables, TemplateOptions.HuggingFace);

    public static Dictionary<string, object?> Vars(params (string Name, object? Value)[] variables) =>
        variables.ToDictionary(v => v.Name, v => v.Value);

    /// <summary>A string-keyed map in the given order (a dict to the template).</summary>
    public static List<KeyValuePair<string, object?>> Map(params (string Key, object? Value)[] entries) =>
        entries.Select(e => new KeyValuePair<string, object?>(e.Key, e.Value)).ToList();

    public static TemplateException Error(string source, IReadOnlyDictionary<string, object?>? variables = null) =>
        Assert.ThrowsAny<TemplateException>(() => Render(source, variables));
}
