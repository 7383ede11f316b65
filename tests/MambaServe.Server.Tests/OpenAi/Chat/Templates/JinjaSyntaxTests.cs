using MambaServe.Server.OpenAi.Chat.Templates;

namespace MambaServe.Server.Tests.OpenAi.Chat.Templates;

/// <summary>Lexing: delimiters, whitespace control (-, +, trim_blocks, lstrip_blocks), comments, raw, literals, syntax errors.</summary>
public sealed class JinjaSyntaxTests
{
    [Theory]
    [InlineData("a {{- 1 -}} b", "a1b")]
    [InlineData("a\n  {%- if true -%}\n  x  \n{%- endif -%}\n b", "axb")]
    [InlineData("a{# a comment {{ x }} #}b", "ab")]
    [InlineData("a  {#- c -#}  b", "ab")]
    [InlineData("{% raw %}{{ x }}{% if %}{% endraw %}", "{{ x }}{% if %}")]
    [InlineData("x\n", "x")]
    [InlineData("x\n\n", "x\n")]
    [InlineData("a\r\nb\rc", "a\nb\nc")]
    [InlineData("{{ {'a': {'b': 1}}['a']['b'] }}", "1")]
    public void Render_WhitespaceControlAndComments_AsJinja(string source, string expected)
    {
        Assert.Equal(expected, Jinja.Render(source));
    }

    [Theory]
    [InlineData("{% if true %}\nx\n{% endif %}\ny", "x\ny", "\nx\n\ny")]
    [InlineData("  {% if true %}x{% endif %}", "x", "  x")]
    [InlineData("a\n    {% if true %}\n    x\n    {% endif %}\nb", "a\n    x\nb", "a\n    \n    x\n    \nb")]
    [InlineData("  {%+ if true %}x{% endif %}", "  x", "  x")]
    [InlineData("{% if true +%}\nx{% endif %}", "\nx", "\nx")]
    [InlineData("a {% if true %}x{% endif %}", "a x", "a x")]
    [InlineData("  {{ 'v' }}\n", "  v", "  v")]
    [InlineData("  {# note #}\nx", "x", "  \nx")]
    [InlineData("{{ 'v' }}\nx", "v\nx", "v\nx")]
    public void Render_TrimAndLstripBlocks_OnlyWithHfOptions(string source, string withHf, string without)
    {
        Assert.Equal(withHf, Jinja.RenderHf(source));
        Assert.Equal(without, Jinja.Render(source));
    }

    [Theory]
    [InlineData(@"{{ 'a\nb' }}", "a\nb")]
    [InlineData(@"{{ ""tab\there"" }}", "tab\there")]
    [InlineData(@"{{ '\u00e9\x41\101\U0001F600' }}", "éAA😀")]
    [InlineData(@"{{ 'it\'s' ~ ""\""q\"""" }}", "it's\"q\"")]
    [InlineData(@"{{ 'back\\slash' }}", @"back\slash")]
    [InlineData(@"{{ 'keep\q' }}", @"keep\q")]
    [InlineData("{{ 'multi\nline' }}", "multi\nline")]
    [InlineData("{{ 'a' 'b' \"c\" }}", "abc")]
    [InlineData("{{ 1_000 + 0.5e1 + 2E-1 }}", "1005.2")]
    public void Render_StringAndNumberLiterals_PythonEscapes(string source, string expected)
    {
        Assert.Equal(expected, Jinja.Render(source));
    }

    [Theory]
    [InlineData("{% if x %}\nabc", 2, "the 'if' tag on line 1 is never closed")]
    [InlineData("a\n{% endfor %}", 2, "unexpected 'endfor': no open tag to close")]
    [InlineData("{% for x in y %}\n{% endif %}{% endfor %}", 2, "unexpected 'endif' inside the 'for' tag on line 1")]
    [InlineData("{{ x | nofilter }}", 1, "no filter named 'nofilter'")]
    [InlineData("\n{{ x is nontest }}", 2, "no test named 'nontest'")]
    [InlineData("one\n\n{% foo %}", 3, "unknown tag 'foo'")]
    [InlineData("{% include 'other.jinja' %}", 1, "the 'include' tag is not supported")]
    [InlineData("{{ 'abc }}", 1, "unterminated string literal")]
    [InlineData("{{ (1 + 2 }}", 1, "unexpected '}', expected ')'")]
    [InlineData("{{ 1 + }}", 1, "expected an expression, found '}}'")]
    [InlineData("{{ x\n\n", 1, "'{{' is never closed")]
    [InlineData("{# open", 1, "unclosed comment")]
    [InlineData("{% for x in y %}{% endfor %}\n{% break %}", 2, "'break' outside a for loop")]
    [InlineData("{% set true = 1 %}", 1, "cannot assign to 'true'")]
    [InlineData("{% if x %}{% else %}{% elif y %}{% endif %}", 1, "unexpected 'elif'")]
    [InlineData(@"{{ '\x4' }}", 1, "truncated")]
    [InlineData("{% for x in y recursive %}{% endfor %}", 1, "recursive for loops are not supported")]
    public void Parse_InvalidTemplate_ThrowsWithLineAndReason(string source, int line, string reason)
    {
        var error = Assert.ThrowsAny<TemplateException>(() => JinjaTemplate.Parse(source, TemplateOptions.HuggingFace));

        Assert.Equal(line, error.Line);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"line {line}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DeeplyNestedParentheses_FailsCleanly()
    {
        int depth = Random.Shared.Next(20_000, 40_000);
        var source = "{{ " + new string('(', depth) + "1" + new string(')', depth) + " }}";

        var error = Assert.ThrowsAny<TemplateException>(() => JinjaTemplate.Parse(source));

        Assert.Contains("nests too deeply", error.Message, StringComparison.Ordinal);
    }
}
