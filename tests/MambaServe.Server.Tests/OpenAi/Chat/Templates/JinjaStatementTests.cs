namespace MambaServe.Server.Tests.OpenAi.Chat.Templates;

/// <summary>Statements: if, for and its loop variable, set and scoping, namespace, macro, blocks.</summary>
public sealed class JinjaStatementTests
{
    [Theory]
    [InlineData(1, "one")]
    [InlineData(2, "two")]
    [InlineData(3, "many")]
    public void Render_IfElifElse_TakesTheFirstTrueBranch(long n, string expected)
    {
        Assert.Equal(expected, Jinja.Render("{% if n == 1 %}one{% elif n == 2 %}two{% else %}many{% endif %}", Jinja.Vars(("n", n))));
    }

    [Fact]
    public void Render_ForLoopVariable_CountsLikeJinja()
    {
        int count = Random.Shared.Next(1, 8);
        var items = Enumerable.Range(0, count).Select(i => (object?)$"m{i}").ToList();

        var text = Jinja.Render("{% for x in items %}{{ loop.index }},{{ loop.index0 }},{{ loop.revindex }},{{ loop.revindex0 }},{{ loop.first }},{{ loop.last }},{{ loop.length }},{{ x }};{% endfor %}",
            Jinja.Vars(("items", items)));

        var expected = string.Concat(Enumerable.Range(0, count).Select(i =>
            $"{i + 1},{i},{count - i},{count - i - 1},{(i == 0 ? "True" : "False")},{(i == count - 1 ? "True" : "False")},{count},m{i};"));
        Assert.Equal(expected, text);
    }

    [Theory]
    [InlineData("{% for k in {'a': 1, 'b': 2} %}{{ k }}{% endfor %}", "ab")]
    [InlineData("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;")]
    [InlineData("{% for k, v in {'a': 1, 'b': 2} | items %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;")]
    [InlineData("{% for (a, b) in [[1, 2], [3, 4]] %}{{ a + b }},{% endfor %}", "3,7,")]
    [InlineData("{% for c in 'ab' %}{{ c }}.{% endfor %}", "a.b.")]
    [InlineData("{% for x in [] %}x{% else %}empty{% endfor %}", "empty")]
    [InlineData("{% for x in [1, 2, 3, 4] if x is even %}{{ x }}:{{ loop.index }}/{{ loop.length }},{% endfor %}", "2:1/2,4:2/2,")]
    [InlineData("{% for x in [1, 3] if x is even %}x{% else %}none passed{% endfor %}", "none passed")]
    [InlineData("{% for x in [1, 2, 3] %}{{ loop.cycle('a', 'b') }}{% endfor %}", "aba")]
    [InlineData("{% for x in [1, 2, 3] %}[{{ loop.previtem }}<{{ x }}>{{ loop.nextitem }}]{% endfor %}", "[<1>2][1<2>3][2<3>]")]
    [InlineData("{% for x in range(10) %}{% if x == 4 %}{% break %}{% endif %}{% if x == 1 %}{% continue %}{% endif %}{{ x }}{% endfor %}", "023")]
    [InlineData("{% for a in [1, 2] %}{% for b in 'xyz' %}{{ loop.index }}{% endfor %}{{ loop.index }};{% endfor %}", "1231;1232;")]
    [InlineData("{{ range(3) | list }}|{{ range(1, 7, 2) | list }}|{{ range(3, 0, -1) | list }}|{{ range(0) | list }}", "[0, 1, 2]|[1, 3, 5]|[3, 2, 1]|[]")]
    public void Render_ForLoops_AsJinja(string source, string expected)
    {
        Assert.Equal(expected, Jinja.Render(source));
    }

    [Theory]
    [InlineData("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}", "21")]
    [InlineData("{% for i in [1, 2] %}{% if i == 2 %}[{{ y }}]{% endif %}{% set y = i %}{% endfor %}", "[]")]
    [InlineData("{% if true %}{% set y = 5 %}{% endif %}{{ y }}", "5")]
    [InlineData("{% set ns = namespace(count=0, seen=[]) %}{% for i in range(4) %}{% set ns.count = ns.count + i %}{% endfor %}{{ ns.count }}", "6")]
    [InlineData("{% set ns = namespace({'found': false}) %}{% for m in ['a', 'b'] %}{% if m == 'b' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}", "True")]
    [InlineData("{% set a, b = [1, 2] %}{{ b }}{{ a }}", "21")]
    [InlineData("{% set t = 1, 'x' %}{{ t }}", "(1, 'x')")]
    [InlineData("{% set x %}hi {{ 1 }}{% endset %}[{{ x }}]", "[hi 1]")]
    [InlineData("{% set x | upper %}hi{% endset %}{{ x }}", "HI")]
    [InlineData("{% macro greet(name, punct='!') %}Hello {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', punct='?') }} {{ greet(name='C') }}", "Hello A! Hello B? Hello C!")]
    [InlineData("{% macro show(x) %}[{{ x }}|{{ outer }}]{% endmacro %}{% set outer = 'o' %}{% for i in [1] %}{{ show(i) }}{% endfor %}", "[1|o]")]
    [InlineData("{% macro m(a) %}{{ a is defined }}{% endmacro %}{{ m() }}", "False")]
    [InlineData("{% generation %}x{{ 1 }}{% endgeneration %}y", "x1y")]
    [InlineData("{% filter upper %}ab{{ 'c' }}{% endfilter %}", "ABC")]
    [InlineData("{% with a = 2, b = 3 %}{{ a * b }}{% endwith %}[{{ a }}]", "6[]")]
    public void Render_SetMacroAndBlocks_FollowJinjaScoping(string source, string expected)
    {
        Assert.Equal(expected, Jinja.Render(source));
    }
}
