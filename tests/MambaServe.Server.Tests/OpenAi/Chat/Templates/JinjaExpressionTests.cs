namespace MambaServe.Server.Tests.OpenAi.Chat.Templates;

/// <summary>Expressions: literals and how they print, operators and precedence, access, slicing, tests, undefined.</summary>
public sealed class JinjaExpressionTests
{
    [Theory]
    [InlineData("{{ 1 + 2 * 3 }}", "7")]
    [InlineData("{{ (1 + 2) * 3 }}", "9")]
    [InlineData("{{ 7 / 2 }}|{{ 4 / 2 }}|{{ 7 // 2 }}|{{ -7 // 2 }}|{{ -7 % 3 }}|{{ 7 % -3 }}", "3.5|2.0|3|-4|2|-2")]
    [InlineData("{{ 2 ** 10 }}|{{ -2 ** 2 }}|{{ 2 ** -1 }}", "1024|4|0.5")]
    [InlineData("{{ 0.1 + 0.2 }}|{{ 1e16 }}|{{ 1e15 }}|{{ 1.5e-5 }}|{{ 0.0001 }}|{{ -0.0 }}|{{ 3.0 * 2 }}", "0.30000000000000004|1e+16|1000000000000000.0|1.5e-05|0.0001|-0.0|6.0")]
    [InlineData("{{ 'a' ~ 1 ~ none ~ true ~ 2.5 }}", "a1NoneTrue2.5")]
    [InlineData("{{ 'ab' * 3 }}|{{ 2 * [0] }}|{{ [1, 2] + [3] }}", "ababab|[0, 0]|[1, 2, 3]")]
    [InlineData("{{ {'a': 1, 'b': [true, none, 'it\\'s']} }}", "{'a': 1, 'b': [True, None, \"it's\"]}")]
    [InlineData("{{ (1, 'x') }}|{{ (1,) }}|{{ () }}", "(1, 'x')|(1,)|()")]
    [InlineData("{{ true + 1 }}|{{ true == 1 }}|{{ 1 == 1.0 }}|{{ [1, 2] == [1, 2] }}|{{ {'a': 1} == {'a': 1.0} }}", "2|True|True|True|True")]
    [InlineData("{{ 1 < 2 < 3 }}|{{ 3 > 2 > 2 }}|{{ 'a' < 'b' }}|{{ [1, 2] < [1, 3] }}", "True|False|True|True")]
    [InlineData("{{ 'b' in 'abc' }}|{{ 2 not in [1, 3] }}|{{ 'k' in {'k': 1} }}|{{ 1 in [1.0] }}", "True|True|True|True")]
    [InlineData("{{ not 1 == 2 }}|{{ not true and false }}|{{ none or 'x' }}|{{ 0 and 1 }}|{{ 'a' and 'b' }}", "True|False|x|0|b")]
    [InlineData("[{{ 'y' if false }}]|{{ 'y' if 0 else 'n' }}|{{ 'a' if false else 'b' if true else 'c' }}", "[]|n|b")]
    [InlineData("{{ 'x' + 'y' | upper }}|{{ [1, 2, 3] | length - 1 }}|{{ -3 | abs }}", "xY|2|3")]
    public void Render_Operators_FollowPythonAndJinjaPrecedence(string source, string expected)
    {
        Assert.Equal(expected, Jinja.Render(source));
    }

    [Theory]
    [InlineData("{{ 'abc'[1] }}|{{ 'abc'[-1] }}|{{ 'hello'[1:] }}|{{ 'hello'[::-1] }}|{{ 'hello'[-3:-1] }}", "b|c|ello|olleh|ll")]
    [InlineData("{{ [1, 2, 3, 4][1:3] }}|{{ [1, 2, 3][::-1] }}|{{ [1, 2, 3, 4, 5][::2] }}|{{ [1, 2, 3][5:] }}|{{ [1, 2, 3][-2:] }}", "[2, 3]|[3, 2, 1]|[1, 3, 5]|[]|[2, 3]")]
    [InlineData("[{{ [1, 2, 3][5] }}]|{{ [1, 2, 3][-1] }}|{{ xs.1 }}|{{ 'a😀b'[1] }}|{{ 'a😀b' | length }}", "[]|3|20|😀|3")]
    [InlineData("{{ d.name }}|{{ d['name'] }}|[{{ d.missing }}]|{{ d.items() | list }}|{{ d['items'] }}", "n|n|[]|[('name', 'n'), ('items', 5)]|5")]
    public void Render_AccessAndSlicing_PythonIndexRules(string source, string expected)
    {
        var d = Jinja.Map(("name", "n"), ("items", 5L));
        Assert.Equal(expected, Jinja.Render(source, Jinja.Vars(("d", d), ("xs", new List<object?> { 10L, 20L }))));
    }

    [Theory]
    [InlineData("{{ none is none }}|{{ 0 is none }}|{{ x is not none }}", "True|False|True")]
    [InlineData("{{ 1 is number }}|{{ 1.5 is number }}|{{ '1' is number }}|{{ 1 is integer }}|{{ 1.0 is float }}|{{ true is integer }}", "True|True|False|True|True|False")]
    [InlineData("{{ 'a' is string }}|{{ {} is mapping }}|{{ [] is mapping }}|{{ [] is iterable }}|{{ 'a' is sequence }}|{{ 1 is iterable }}", "True|True|False|True|True|False")]
    [InlineData("{{ true is boolean }}|{{ true is true }}|{{ 1 is true }}|{{ false is false }}|{{ 0 is false }}", "True|True|False|True|False")]
    [InlineData("{{ 3 is odd }}|{{ 3 is even }}|{{ 9 is divisibleby 3 }}|{{ 9 is divisibleby(4) }}", "True|False|True|False")]
    [InlineData("{{ 1 is eq 1 }}|{{ 2 is gt 1 }}|{{ 2 is in [1, 2] }}|{{ 'AB' is upper }}|{{ 'ab' is lower }}|{{ none is sameas none }}", "True|True|True|True|True|True")]
    [InlineData("{{ missing is defined }}|{{ missing is undefined }}|{{ x is defined }}|{{ range is callable }}", "False|True|True|True")]
    public void Render_Tests_AsJinja(string source, string expected)
    {
        Assert.Equal(expected, Jinja.Render(source, Jinja.Vars(("x", 1L))));
    }

    [Theory]
    [InlineData("[{{ missing }}]", "[]")]
    [InlineData("[{{ missing.attr.deeper }}]", "[]")]
    [InlineData("[{{ missing['k'][0] }}]", "[]")]
    [InlineData("{{ missing.attr is defined }}", "False")]
    [InlineData("{{ missing | length }}", "0")]
    [InlineData("{{ missing ~ 'x' }}", "x")]
    [InlineData("[{% for x in missing %}x{% endfor %}]", "[]")]
    [InlineData("{{ 'a' in missing }}|{{ missing == missing }}|{{ missing == none }}", "False|True|False")]
    [InlineData("{% if missing %}yes{% else %}no{% endif %}", "no")]
    [InlineData("{{ missing | default('d') }}", "d")]
    public void Render_Undefined_IsEmptyFalseAndChainable(string source, string expected)
    {
        Assert.Equal(expected, Jinja.Render(source));
    }

    [Theory]
    [InlineData("{{ missing + 1 }}", "'missing' is undefined")]
    [InlineData("{{ d.content + 'x' }}", "'dict object' has no attribute 'content'")]
    [InlineData("{{ missing() }}", "'missing' is undefined")]
    [InlineData("{{ missing < 1 }}", "'missing' is undefined")]
    public void Render_UndefinedInArithmeticOrCall_FailsWithItsName(string source, string reason)
    {
        var error = Jinja.Error(source, Jinja.Vars(("d", Jinja.Map(("role", "user")))));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_RandomIntegers_ArithmeticMatchesPython()
    {
        long a = Random.Shared.Next(-1000, 1000), b = Random.Shared.Next(1, 50) * (Random.Shared.Next(2) == 0 ? -1 : 1);
        long floor = (long)Math.Floor((double)a / b);

        var text = Jinja.Render("{{ a + b }} {{ a - b }} {{ a * b }} {{ a // b }} {{ a % b }}", Jinja.Vars(("a", a), ("b", b)));

        Assert.Equal($"{a + b} {a - b} {a * b} {floor} {a - (floor * b)}", text);
    }
}
