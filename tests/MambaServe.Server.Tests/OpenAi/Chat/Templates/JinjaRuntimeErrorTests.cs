using MambaServe.Server.OpenAi.Chat.Templates;

namespace MambaServe.Server.Tests.OpenAi.Chat.Templates;

/// <summary>Render-time failures: clear messages with the template line, and bounds that keep any render finite.</summary>
public sealed class JinjaRuntimeErrorTests
{
    [Theory]
    [InlineData("a\n{{ 1 + 'x' }}", 2, "unsupported operand type(s) for +: 'int' and 'str'")]
    [InlineData("{{ 'x' + 1 }}", 1, "can only concatenate str (not \"int\") to str")]
    [InlineData("\n\n{{ missing + 1 }}", 3, "'missing' is undefined")]
    [InlineData("{% for m in msgs %}\n{% if m.role == 'user' %}\n{{ m.content + m.extra }}{% endif %}{% endfor %}", 3, "'dict object' has no attribute 'extra'")]
    [InlineData("{{ 1 / 0 }}", 1, "division by zero")]
    [InlineData("{{ 9223372036854775807 + 1 }}", 1, "overflow")]
    [InlineData("{% for x in 5 %}{% endfor %}", 1, "'int' object is not iterable")]
    [InlineData("{% set a, b = [1, 2, 3] %}", 1, "too many values to unpack (expected 2)")]
    [InlineData("{% set x = 1 %}{% set x.y = 2 %}", 1, "only a namespace() object takes attribute assignment")]
    [InlineData("{% set xs = [1] %}{{ xs.append(2) }}", 1, "access to attribute 'append' of 'list' object is unsafe")]
    [InlineData("{{ 'abc'(1) }}", 1, "'str' object is not callable")]
    [InlineData("{{ none | tojson }}{{ missing | tojson }}", 1, "Object of type Undefined is not JSON serializable")]
    [InlineData("{{ range(200000) | length }}", 1, "range too big")]
    [InlineData("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", 1, "macro calls nest deeper than")]
    [InlineData("{{ 'x' * 100000000 }}", 1, "a string grew past")]
    [InlineData("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", 1, "the template ran more than")]
    [InlineData("{{ 'abc' | round }}", 1, "round needs a number")]
    [InlineData("{{ [1][::0] }}", 1, "slice step cannot be zero")]
    [InlineData("{{ '{}'.format() }}", 1, "format() needs a positional argument 0")]
    [InlineData("{{ 'a'.split('') }}", 1, "empty separator")]
    public void Render_FaultyTemplate_ThrowsWithLineAndReason(string source, int line, string reason)
    {
        var variables = Jinja.Vars(("msgs", new List<object?> { Jinja.Map(("role", "user"), ("content", "hi")) }));

        var error = Jinja.Error(source, variables);

        Assert.Equal(line, error.Line);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_OutputPastTheLimit_Throws()
    {
        var template = JinjaTemplate.Parse("{% for i in range(n) %}xy{% endfor %}", new TemplateOptions(MaxOutputChars: 10));

        Assert.Equal("xyxyxyxyxy", template.Render(Jinja.Vars(("n", 5L))));
        var error = Assert.ThrowsAny<TemplateException>(() => template.Render(Jinja.Vars(("n", 6L))));
        Assert.Contains("exceeds 10 characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_HostFunctionRaises_RaisedExceptionKeepsTheMessage()
    {
        var message = $"roles must alternate {Random.Shared.Next()}";
        var raise = new TemplateFunction("raise_exception", args => throw new TemplateRaisedException(TemplateFunction.Text(args[0])));

        var error = Assert.Throws<TemplateRaisedException>(() =>
            Jinja.Render("ok\n{% if true %}{{ raise_exception(msg) }}{% endif %}", Jinja.Vars(("raise_exception", raise), ("msg", message))));

        Assert.Equal(message, error.Detail);
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void Render_SameTemplateConcurrently_EachRenderIsIndependent()
    {
        var template = JinjaTemplate.Parse("{% set ns = namespace(n=0) %}{% for x in xs %}{% set ns.n = ns.n + x %}{% endfor %}{{ ns.n }}");

        var results = Enumerable.Range(0, 64).AsParallel().Select(i =>
            (Expected: (long)i * (i + 1) / 2, Actual: template.Render(Jinja.Vars(("xs", Enumerable.Range(1, i).Select(v => (object?)(long)v).ToList()))))).ToList();

        Assert.All(results, r => Assert.Equal(r.Expected.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Actual));
    }
}
