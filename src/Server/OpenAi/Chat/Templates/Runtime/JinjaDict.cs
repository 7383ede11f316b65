namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>A Python dict as templates see it: insertion-ordered, keys compared with Python equality. Read-only once built.</summary>
internal sealed class JinjaDict
{
    private readonly OrderedDictionary<object, object?> _items = new(ValueComparer.Instance);

    public int Count => _items.Count;

    public IEnumerable<object> Keys => _items.Keys;

    public IEnumerable<object?> Values => _items.Values;

    public IEnumerable<KeyValuePair<object, object?>> Items => _items;

    public bool TryGetValue(object? key, out object? value)
    {
        value = null;
        return key is not null and not Undefined && _items.TryGetValue(key, out value);
    }

    public bool ContainsKey(object? key) => key is not null and not Undefined && _items.ContainsKey(key);

    /// <summary>Adds or replaces an entry while the dict is built (a literal, dict(), the request's messages).</summary>
    public void Set(object? key, object? value)
    {
        if (key is null or Undefined)
        {
            throw new TemplateException($"unsupported dict key {PyText.Repr(key)}");
        }

        _items[key] = value;
    }
}
