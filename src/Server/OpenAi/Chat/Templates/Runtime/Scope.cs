namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>
/// Variables of one Jinja scope: the globals, the template, each for-loop iteration, a macro call, a with block.
/// Reads walk out to the globals; <c>set</c> writes the innermost scope, so a set inside a loop does not outlive
/// the iteration (Jinja's rule, and why templates use namespace()).
/// </summary>
internal sealed class Scope(Scope? parent)
{
    // Created on first set: most loop iterations only read.
    private Dictionary<string, object?>? _variables;

    public bool TryGet(string name, out object? value)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope._variables is not null && scope._variables.TryGetValue(name, out value))
            {
                return true;
            }
        }

        value = null;
        return false;
    }

    public object? Lookup(string name) => TryGet(name, out var value) ? value : Undefined.Missing(name);

    public void Set(string name, object? value) => (_variables ??= new(StringComparer.Ordinal))[name] = value;

    private Scope? Parent { get; } = parent;
}
