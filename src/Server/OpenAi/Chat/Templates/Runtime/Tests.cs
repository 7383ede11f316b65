namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>
/// Jinja's tests (<c>x is defined</c>, <c>x is string</c>, <c>n is divisibleby 3</c>, ...). As in Jinja, an undefined
/// value counts as iterable, sequence and callable (it defines those protocols), and none of the type tests.
/// </summary>
internal static class Tests
{
    private static readonly Dictionary<string, Func<object?, Arguments, bool>> s_tests = new(StringComparer.Ordinal)
    {
        ["defined"] = (v, _) => v is not Undefined,
        ["undefined"] = (v, _) => v is Undefined,
        ["none"] = (v, _) => v is null,
        ["boolean"] = (v, _) => v is bool,
        ["true"] = (v, _) => v is true,
        ["false"] = (v, _) => v is false,
        ["integer"] = (v, _) => v is long,
        ["float"] = (v, _) => v is double,
        ["number"] = (v, _) => PyOps.IsNumber(v),
        ["string"] = (v, _) => v is string,
        ["mapping"] = (v, _) => v is JinjaDict,
        ["iterable"] = (v, _) => v is Undefined or string or IReadOnlyList<object?> or JinjaDict,
        ["sequence"] = (v, _) => v is Undefined or string or IReadOnlyList<object?> or JinjaDict,
        ["callable"] = (v, _) => v is Undefined or IJinjaCallable,
        ["even"] = (v, _) => PyOps.ToLong(v) % 2 == 0,
        ["odd"] = (v, _) => PyOps.ToLong(v) % 2 != 0,
        ["divisibleby"] = (v, a) => PyOps.Modulo(v, Argument(a, "divisibleby")) is var r && PyOps.Equal(r, 0L),
        ["eq"] = (v, a) => PyOps.Equal(v, Argument(a, "eq")),
        ["equalto"] = (v, a) => PyOps.Equal(v, Argument(a, "equalto")),
        ["=="] = (v, a) => PyOps.Equal(v, Argument(a, "==")),
        ["ne"] = (v, a) => !PyOps.Equal(v, Argument(a, "ne")),
        ["!="] = (v, a) => !PyOps.Equal(v, Argument(a, "!=")),
        ["lt"] = (v, a) => PyOps.Order(v, Argument(a, "lt")) < 0,
        ["lessthan"] = (v, a) => PyOps.Order(v, Argument(a, "lessthan")) < 0,
        ["<"] = (v, a) => PyOps.Order(v, Argument(a, "<")) < 0,
        ["le"] = (v, a) => PyOps.Order(v, Argument(a, "le")) <= 0,
        ["<="] = (v, a) => PyOps.Order(v, Argument(a, "<=")) <= 0,
        ["gt"] = (v, a) => PyOps.Order(v, Argument(a, "gt")) > 0,
        ["greaterthan"] = (v, a) => PyOps.Order(v, Argument(a, "greaterthan")) > 0,
        [">"] = (v, a) => PyOps.Order(v, Argument(a, ">")) > 0,
        ["ge"] = (v, a) => PyOps.Order(v, Argument(a, "ge")) >= 0,
        [">="] = (v, a) => PyOps.Order(v, Argument(a, ">=")) >= 0,
        ["in"] = (v, a) => PyOps.Contains(Argument(a, "in"), v),
        ["sameas"] = (v, a) => SameAs(v, Argument(a, "sameas")),
        ["lower"] = (v, _) => v is string s && s.Any(char.IsLower) && !s.Any(char.IsUpper),
        ["upper"] = (v, _) => v is string s && s.Any(char.IsUpper) && !s.Any(char.IsLower),
        ["escaped"] = (_, _) => false,
        ["filter"] = (v, _) => v is string name && Filters.Exists(name),
        ["test"] = (v, _) => v is string name && Exists(name),
    };

    public static bool Exists(string name) => s_tests.ContainsKey(name);

    public static bool Apply(string name, object? value, Arguments args) =>
        s_tests.TryGetValue(name, out var test) ? test(value, args) : throw new TemplateException($"no test named '{name}'");

    private static object? Argument(Arguments args, string test) =>
        args.Positional.Count == 1 ? args.Positional[0] : throw new TemplateException($"the '{test}' test takes one argument");

    // Python's `is`: identity, which for None, booleans and small ints means equal values.
    private static bool SameAs(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (bool x, bool y) => x == y,
        (long x, long y) => x == y,
        _ => ReferenceEquals(a, b),
    };
}
