namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>A callable backed by a delegate (globals and bound methods such as <c>'a b'.split</c>).</summary>
internal sealed class JinjaFunction(string name, Func<Arguments, object?> body) : IJinjaCallable
{
    public string Name { get; } = name;

    public object? Call(Arguments args) => body(args);
}
