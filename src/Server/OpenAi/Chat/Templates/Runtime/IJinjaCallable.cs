namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>Anything a template can call: globals (range, namespace, raise_exception), bound methods, macros.</summary>
internal interface IJinjaCallable
{
    string Name { get; }

    object? Call(Arguments args);
}
