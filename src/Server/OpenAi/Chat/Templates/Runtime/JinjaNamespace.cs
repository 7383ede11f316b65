namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>
/// The object <c>namespace(...)</c> returns: the one thing a template may change in place
/// (<c>{% set ns.found = true %}</c>), which is how state crosses the scope of a for loop.
/// </summary>
internal sealed class JinjaNamespace
{
    private readonly Dictionary<string, object?> _attributes = new(StringComparer.Ordinal);

    public IEnumerable<KeyValuePair<string, object?>> Attributes => _attributes;

    public bool TryGet(string name, out object? value) => _attributes.TryGetValue(name, out value);

    public void Set(string name, object? value) => _attributes[name] = value;
}
