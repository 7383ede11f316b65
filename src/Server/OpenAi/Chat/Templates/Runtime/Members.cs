namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>
/// <c>x.name</c>, <c>x[key]</c> and <c>x[a:b:c]</c> as Jinja resolves them: attribute first for <c>.</c> (so
/// <c>d.items</c> is the method), item first for <c>[]</c>, each falling back to the other; whatever is missing is
/// <see cref="Undefined"/>. Methods that would mutate a list or dict are refused, as transformers' immutable sandbox
/// refuses them.
/// </summary>
internal static class Members
{
    private static readonly HashSet<string> s_mutators =
        ["append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse", "update", "setdefault", "popitem"];

    public static object? GetAttr(object? target, string name) => target switch
    {
        Undefined undefined => undefined,
        JinjaDict dict => (object?)DictMethod(dict, name) ?? (dict.TryGetValue(name, out var value) ? value : Unsafe(dict, name) ?? Undefined.NoAttribute(dict, name)),
        string s => (object?)StringMethods.Bind(s, name) ?? Undefined.NoAttribute(s, name),
        IReadOnlyList<object?> list => (object?)ListMethod(list, name) ?? Unsafe(list, name) ?? Undefined.NoAttribute(list, name),
        JinjaNamespace ns => ns.TryGet(name, out var value) ? value : Undefined.NoAttribute(ns, name),
        LoopContext loop => loop.GetAttribute(name),
        _ => Undefined.NoAttribute(target, name),
    };

    public static object? GetItem(object? target, object? key)
    {
        switch (target)
        {
            case Undefined undefined:
                return undefined;
            case JinjaDict dict when dict.TryGetValue(key, out var value):
                return value;
            case string s when PyOps.IsInt(key):
                var points = PyText.IsSimple(s) ? null : PyText.CodePoints(s);
                long index = Index(PyOps.ToLong(key), points?.Count ?? s.Length);
                return index < 0 ? new Undefined("string index out of range") : points?[(int)index] ?? s[(int)index].ToString();
            case IReadOnlyList<object?> list when PyOps.IsInt(key):
                long at = Index(PyOps.ToLong(key), list.Count);
                return at < 0 ? new Undefined($"list index {PyOps.ToLong(key)} out of range") : list[(int)at];
        }

        return key is string name ? GetAttr(target, name) : Undefined.NoAttribute(target, PyText.Str(key));
    }

    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        switch (target)
        {
            case Undefined undefined:
                return undefined;
            case string s when PyText.IsSimple(s):
                return string.Concat(SliceIndices(s.Length, start, stop, step).Select(i => s[i]));
            case string s:
                var points = PyText.CodePoints(s);
                return string.Concat(SliceIndices(points.Count, start, stop, step).Select(i => points[i]));
            case IReadOnlyList<object?> list:
                var items = SliceIndices(list.Count, start, stop, step).Select(i => list[i]).ToList();
                return list is object?[] ? items.ToArray() : items;
            default:
                throw new TemplateException($"'{PyText.TypeName(target)}' object is not subscriptable");
        }
    }

    /// <summary>Python's slice.indices: clamps, counts from the end for negatives, walks backwards for a negative step.</summary>
    private static IEnumerable<int> SliceIndices(int length, object? start, object? stop, object? step)
    {
        long by = step is null ? 1 : SliceBound(step);
        if (by == 0)
        {
            throw new TemplateException("slice step cannot be zero");
        }

        long lower = by > 0 ? 0 : -1, upper = by > 0 ? length : length - 1;
        long from = start is null ? (by > 0 ? lower : upper) : Clamp(SliceBound(start), length, lower, upper);
        long to = stop is null ? (by > 0 ? upper : lower) : Clamp(SliceBound(stop), length, lower, upper);
        for (long i = from; by > 0 ? i < to : i > to; i += by)
        {
            yield return (int)i;
        }
    }

    /// <summary>A Python index (negative counts from the end) as a position, or -1 when out of range.</summary>
    private static long Index(long index, int length)
    {
        long at = index < 0 ? index + length : index;
        return at >= 0 && at < length ? at : -1;
    }

    private static long Clamp(long bound, int length, long lower, long upper) =>
        bound < 0 ? Math.Max(bound + length, lower) : Math.Min(bound, upper);

    private static long SliceBound(object? value) =>
        PyOps.IsInt(value) ? PyOps.ToLong(value) : throw new TemplateException("slice indices must be integers or None");

    private static JinjaFunction? DictMethod(JinjaDict dict, string name) => name switch
    {
        "get" => new("dict.get", args => dict.TryGetValue(args.Check("get", 2).Get(0, "key"), out var v) ? v : args.Get(1, "default")),
        "items" => new("dict.items", _ => dict.Items.Select(kv => (object?)new object?[] { kv.Key, kv.Value }).ToList()),
        "keys" => new("dict.keys", _ => dict.Keys.ToList<object?>()),
        "values" => new("dict.values", _ => dict.Values.ToList()),
        _ => null,
    };

    private static JinjaFunction? ListMethod(IReadOnlyList<object?> list, string name) => name switch
    {
        "index" => new("list.index", args =>
        {
            var item = args.Check("index", 1).Get(0, "value");
            for (int i = 0; i < list.Count; i++)
            {
                if (PyOps.Equal(list[i], item))
                {
                    return (long)i;
                }
            }

            throw new TemplateException($"{PyText.Repr(item)} is not in list");
        }),
        "count" => new("list.count", args => (long)list.Count(x => PyOps.Equal(x, args.Check("count", 1).Get(0, "value")))),
        _ => null,
    };

    private static Undefined? Unsafe(object target, string name) =>
        s_mutators.Contains(name) ? new Undefined($"access to attribute '{name}' of '{PyText.TypeName(target)}' object is unsafe: templates cannot change lists or dicts") : null;
}
