using MambaServe.Server.OpenAi.Chat.Templates.Runtime;

namespace MambaServe.Server.OpenAi.Chat.Templates;

/// <summary>
/// A global function the host gives a template (transformers' <c>raise_exception</c>, <c>strftime_now</c>). It
/// receives the positional arguments as template values; <see cref="Text"/> turns one into the string Jinja would print.
/// </summary>
public sealed class TemplateFunction(string name, Func<IReadOnlyList<object?>, object?> invoke)
{
    public string Name { get; } = name;

    public static string Text(object? value) => PyText.Str(value);

    internal IJinjaCallable ToCallable() => new JinjaFunction(Name, args =>
        args.Named.Count > 0 ? throw new TemplateException($"{Name}() takes no keyword arguments") : invoke(args.Positional));
}
