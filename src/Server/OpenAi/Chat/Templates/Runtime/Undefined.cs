namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>
/// Jinja's default Undefined: a missing variable, key, attribute or index. It prints as "", is false, iterates as
/// empty and has length 0; arithmetic, ordering and calls on it fail with <see cref="Hint"/>. Unlike Jinja (which
/// fails there too), attribute and item access on it give it back, so <c>message.tool_calls.name</c> is simply
/// undefined when a message has no tool calls.
/// </summary>
internal sealed class Undefined(string hint)
{
    public string Hint { get; } = hint;

    public static Undefined Missing(string name) => new($"'{name}' is undefined");

    public static Undefined NoAttribute(object? target, string attribute) =>
        new($"'{PyText.TypeName(target)} object' has no attribute '{attribute}'");

    public TemplateException Fail() => new(Hint);
}
