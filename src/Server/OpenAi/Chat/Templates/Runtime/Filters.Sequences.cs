using System.Globalization;

namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>The filters over sequences: join, map, select/reject(attr), sort, dictsort, unique, min/max, sum.</summary>
internal static partial class Filters
{
    private static object? Join(object? value, Arguments a)
    {
        var items = PyOps.Iterate(value);
        if (a.Check("join", 2, "d", "attribute").Get(1, "attribute") is { } attribute)
        {
            items = items.Select(AttributeGetter(attribute)).ToList();
        }

        return Limits.CheckString(string.Join(PyText.Str(a.Get(0, "d", string.Empty)), items.Select(PyText.Str)));
    }

    private static object? Map(object? value, Arguments a)
    {
        var items = PyOps.Iterate(value);
        if (a.Positional.Count == 0 && a.GetNamed("attribute") is { } attribute)
        {
            return items.Select(AttributeGetter(attribute, a.GetNamed("default"))).ToList();
        }

        if (a.Positional.Count == 0)
        {
            throw new TemplateException("map() needs a filter name or attribute=");
        }

        string filter = StringMethods.Text(a.Positional[0]);
        if (!Exists(filter))
        {
            throw new TemplateException($"no filter named '{filter}'");
        }

        var rest = a.Skip(1);
        return items.Select(item => Apply(filter, item, rest)).ToList();
    }

    private static List<object?> Select(object? value, Arguments a, bool byAttribute, bool keep)
    {
        var items = PyOps.Iterate(value);
        int testAt = byAttribute ? 1 : 0;
        var get = byAttribute ? AttributeGetter(a.Get(0, "attribute") ?? throw new TemplateException("selectattr/rejectattr need an attribute name")) : x => x;
        Func<object?, bool> test = PyOps.Truthy;
        if (a.Positional.Count > testAt)
        {
            string name = StringMethods.Text(a.Positional[testAt]);
            var testArgs = a.Skip(testAt + 1);
            test = x => Tests.Apply(name, x, testArgs);
        }

        return items.Where(item => test(get(item)) == keep).ToList();
    }

    /// <summary>Jinja's make_attrgetter: <c>"a.b.0"</c> walks items and attributes; a default replaces an undefined result.</summary>
    internal static Func<object?, object?> AttributeGetter(object? attribute, object? fallback = null)
    {
        object?[] parts = attribute is string path
            ? path.Split('.').Select(p => long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out long i) ? (object?)i : p).ToArray()
            : [attribute];
        return item =>
        {
            foreach (var part in parts)
            {
                item = Members.GetItem(item, part);
            }

            return fallback is not null && item is Undefined ? fallback : item;
        };
    }

    private static object? Sort(object? value, Arguments a)
    {
        bool reverse = PyOps.Truthy(a.Check("sort", 3, "reverse", "case_sensitive", "attribute").Get(0, "reverse", false));
        var key = SortKey(a.Get(1, "case_sensitive", false), a.Get(2, "attribute"));
        var comparer = Comparer<object?>.Create((x, y) => PyOps.Order(x, y));
        var items = PyOps.Iterate(value);
        return (reverse ? items.OrderByDescending(key, comparer) : items.OrderBy(key, comparer)).ToList();
    }

    private static object? DictSort(object? value, Arguments a)
    {
        if (value is not JinjaDict dict)
        {
            throw new TemplateException("dictsort needs a mapping");
        }

        bool byValue = PyText.Str(a.Check("dictsort", 3, "case_sensitive", "by", "reverse").Get(1, "by", "key")) == "value";
        var key = SortKey(a.Get(0, "case_sensitive", false), null);
        var comparer = Comparer<object?>.Create((x, y) => PyOps.Order(x, y));
        var pairs = Pairs(dict);
        Func<object?, object?> pick = p => key(((object?[])p!)[byValue ? 1 : 0]);
        return (PyOps.Truthy(a.Get(2, "reverse", false)) ? pairs.OrderByDescending(pick, comparer) : pairs.OrderBy(pick, comparer)).ToList();
    }

    private static object? Unique(object? value, Arguments a)
    {
        var key = SortKey(a.Check("unique", 2, "case_sensitive", "attribute").Get(0, "case_sensitive", false), a.Get(1, "attribute"));
        var seen = new List<object?>();
        var result = new List<object?>();
        foreach (var item in PyOps.Iterate(value))
        {
            var k = key(item);
            if (!seen.Any(s => PyOps.Equal(s, k)))
            {
                seen.Add(k);
                result.Add(item);
            }
        }

        return result;
    }

    private static object? MinMax(object? value, Arguments a, bool max)
    {
        var key = SortKey(a.Check(max ? "max" : "min", 2, "case_sensitive", "attribute").Get(0, "case_sensitive", false), a.Get(1, "attribute"));
        var items = PyOps.Iterate(value);
        if (items.Count == 0)
        {
            return new Undefined("No aggregated item, sequence was empty.");
        }

        var best = items[0];
        foreach (var item in items.Skip(1))
        {
            int order = PyOps.Order(key(item), key(best));
            best = (max ? order > 0 : order < 0) ? item : best;
        }

        return best;
    }

    private static object? Sum(object? value, Arguments a)
    {
        var get = a.Check("sum", 2, "attribute", "start").Get(0, "attribute") is { } attribute ? AttributeGetter(attribute) : x => x;
        return PyOps.Iterate(value).Aggregate(a.Get(1, "start", 0L), (total, item) => PyOps.Add(total, get(item)));
    }

    private static Func<object?, object?> SortKey(object? caseSensitive, object? attribute)
    {
        var get = attribute is null ? (x => x) : AttributeGetter(attribute);
        return PyOps.Truthy(caseSensitive) ? get : x => get(x) is string s ? s.ToLowerInvariant() : get(x);
    }

    private static List<object?> Pairs(JinjaDict dict) => dict.Items.Select(kv => (object?)new object?[] { kv.Key, kv.Value }).ToList();
}
