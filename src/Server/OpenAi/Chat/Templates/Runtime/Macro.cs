using MambaServe.Server.OpenAi.Chat.Templates.Syntax;

namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>A macro defined by <c>{% macro %}</c>, callable within the render that defined it.</summary>
internal sealed class Macro(MacroStmt definition, Scope closure, Renderer renderer) : IJinjaCallable
{
    public string Name => definition.Name;

    public object? Call(Arguments args) => renderer.CallMacro(definition, closure, args);
}
