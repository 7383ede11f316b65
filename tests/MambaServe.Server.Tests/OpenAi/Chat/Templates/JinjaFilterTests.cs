namespace MambaServe.Server.Tests.OpenAi.Chat.Templates;

/// <summary>Filters (Jinja's, and transformers' tojson) and the Python str / dict methods templates call.</summary>
public sealed class JinjaFilterTests
{
    private static readonly Dictionary<string, object?> s_vars = Jinja.Vars(
        ("users", new List<object?> { Jinja.Map(("name", "ann"), ("age", 31L)), Jinja.Map(("name", "Bob"), ("age", 25L)), Jinja.Map(("name", "cy")) }),
        ("msgs", new List<object?> { Jinja.Map(("role", "user"), ("content", "a")), Jinja.Map(("role", "assistant"), ("content", "b")), Jinja.Map(("role", "user"), ("content", "c")) }));

    [Theory]
    [InlineData("[{{ '  a b \n' | trim }}]|{{ 'xxaxx' | trim('x') }}", "[a b]|a")]
    [InlineData("{{ [1, 2, 3] | length }}|{{ 'héllo' | count }}|{{ {'a': 1} | length }}", "3|5|1")]
    [InlineData("{{ 'aBc' | upper }}|{{ 'aBc' | lower }}|{{ 'hELLO' | capitalize }}|{{ 'hello wORLD-foo (bar' | title }}", "ABC|abc|Hello|Hello World-Foo (Bar")]
    [InlineData("{{ missing | default('d') }}|[{{ '' | default('d') }}]|{{ '' | default('d', true) }}|{{ none | default('d') }}|{{ missing | d('x') }}", "d|[]|d|None|x")]
    [InlineData("{{ [1, 'a'] | join(', ') }}|{{ users | join('/', attribute='name') }}|{{ [1, 2] | join }}", "1, a|ann/Bob/cy|12")]
    [InlineData("{{ [1, 2, 3] | first }}|{{ [1, 2, 3] | last }}|[{{ [] | first }}]|{{ 'ab' | list }}|{{ 'abc' | last }}", "1|3|[]|['a', 'b']|c")]
    [InlineData("{{ users | map(attribute='name') | join(',') }}|{{ ['a', 'b'] | map('upper') | list }}|{{ users | map(attribute='age', default=0) | list }}", "ann,Bob,cy|['A', 'B']|[31, 25, 0]")]
    [InlineData("{{ msgs | selectattr('role', 'equalto', 'user') | map(attribute='content') | join }}|{{ msgs | rejectattr('role', 'eq', 'user') | map(attribute='content') | join }}", "ac|b")]
    [InlineData("{{ users | selectattr('age') | list | length }}|{{ [0, 1, 2, none] | select | list }}|{{ [1, 2, 3, 4] | reject('odd') | list }}|{{ [1, 2, 3] | select('gt', 1) | list }}", "2|[1, 2]|[2, 4]|[2, 3]")]
    [InlineData("{{ 'aaa' | replace('a', 'b', 2) }}|{{ 'a.b.c' | replace('.', '') }}", "bba|abc")]
    [InlineData("{{ 12 | string ~ 3 }}|{{ '42' | int + 1 }}|{{ ' 4.7 ' | int }}|{{ 'x' | int(7) }}|{{ 3.9 | int }}|{{ '0x1A' | int(0, 16) }}|{{ '2.5' | float }}|{{ 'no' | float }}|{{ 2 | float }}", "123|43|4|7|3|26|2.5|0.0|2.0")]
    [InlineData("{{ '<b>' | safe }}|{{ '<b a=\"1\">&\\'' | e }}", "<b>|&lt;b a=&#34;1&#34;&gt;&amp;&#39;")]
    [InlineData("{{ 2.567 | round(2) }}|{{ 2.5 | round }}|{{ 3.5 | round }}|{{ 2.1 | round(0, 'ceil') }}|{{ 2.9 | round(method='floor') }}|{{ 7 | round }}", "2.57|2.0|4.0|3.0|2.0|7")]
    [InlineData("{{ -3 | abs }}|{{ [3, 1, 2] | sort }}|{{ ['b', 'A', 'c'] | sort }}|{{ ['b', 'A'] | sort(case_sensitive=true) }}|{{ [1, 3, 2] | sort(reverse=true) }}", "3|[1, 2, 3]|['A', 'b', 'c']|['A', 'b']|[3, 2, 1]")]
    [InlineData("{{ users | sort(attribute='name') | map(attribute='name') | join }}|{{ [1, 2, 1, 3] | unique | list }}|{{ [1, 2] | reverse | list }}|{{ 'abc' | reverse }}", "annBobcy|[1, 2, 3]|[2, 1]|cba")]
    [InlineData("{{ [3, 1, 2] | min }}|{{ [3, 1, 2] | max }}|{{ [1, 2, 3] | sum }}|{{ users | selectattr('age') | sum(attribute='age') }}|{{ {'b': 1, 'a': 2} | dictsort }}", "1|3|6|56|[('a', 2), ('b', 1)]")]
    [InlineData("{{ '%s is %d years' | format('ann', 31) }}|{{ '%05.1f|%-4s|%3d' % (3.14159, 'ab', 7) }}|{{ 'one two  three' | wordcount }}", "ann is 31 years|003.1|ab  |  7|3")]
    public void Render_Filters_AsJinja(string source, string expected)
    {
        Assert.Equal(expected, Jinja.Render(source, s_vars));
    }

    [Theory]
    [InlineData("{{ 'a\\nb\\n\\nc' | indent(2) }}", "a\n  b\n\n  c")]
    [InlineData("{{ 'a\\nb\\n\\nc' | indent(2, true) }}", "  a\n  b\n\n  c")]
    [InlineData("{{ 'a\\nb\\n\\nc' | indent(2, blank=true) }}", "a\n  b\n  \n  c")]
    [InlineData("{{ 'a\\nb' | indent('> ') }}", "a\n> b")]
    public void Render_Indent_AsJinja(string source, string expected)
    {
        Assert.Equal(expected, Jinja.Render(source));
    }

    [Theory]
    [InlineData("{{ {'a': 'é\"\\n<&>', 'b': [1, 2.5, none, true, false]} | tojson }}", "{\"a\": \"é\\\"\\n<&>\", \"b\": [1, 2.5, null, true, false]}")]
    [InlineData("{{ [] | tojson }}|{{ {} | tojson(indent=2) }}|{{ 'x' | tojson }}|{{ 1.0 | tojson }}|{{ {1: 'a'} | tojson }}", "[]|{}|\"x\"|1.0|{\"1\": \"a\"}")]
    [InlineData("{{ {'b': 1, 'a': [1, {'c': 2}]} | tojson(indent=2) }}", "{\n  \"b\": 1,\n  \"a\": [\n    1,\n    {\n      \"c\": 2\n    }\n  ]\n}")]
    [InlineData("{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}|{{ {'a': [1, 2]} | tojson(separators=(',', ':')) }}", "{\"a\": 2, \"b\": 1}|{\"a\":[1,2]}")]
    [InlineData("{{ 'é\\u0001' | tojson(ensure_ascii=true) }}", "\"\\u00e9\\u0001\"")]
    public void Render_ToJson_AsTransformersJsonDumps(string source, string expected)
    {
        Assert.Equal(expected, Jinja.Render(source));
    }

    [Fact]
    public void Render_ToJsonOfRandomNestedData_RoundTripsThroughSystemTextJson()
    {
        var entries = Enumerable.Range(0, Random.Shared.Next(1, 6))
            .Select(i => ($"k{i}", (object?)(Random.Shared.Next(3) switch { 0 => Random.Shared.Next(), 1 => $"v\"{i}\n", _ => new List<object?> { (long)i, null } })))
            .ToArray();

        var json = Jinja.Render("{{ data | tojson }}", Jinja.Vars(("data", Jinja.Map(entries))));

        using var parsed = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal(entries.Select(e => e.Item1), parsed.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Theory]
    [InlineData("[{{ '  x  '.strip() }}]|{{ 'xxhixx'.strip('x') }}|[{{ '  x '.lstrip() }}]|[{{ '  x '.rstrip() }}]|{{ '\\n\\nhi'.lstrip('\\n') }}", "[x]|hi|[x ]|[  x]|hi")]
    [InlineData("{{ 'hello'.startswith('he') }}|{{ 'hello'.endswith(('lo', 'x')) }}|{{ 'hello'.startswith('lo') }}", "True|True|False")]
    [InlineData("{{ 'a,b,,c'.split(',') }}|{{ '  a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'a b c'.rsplit(' ', 1) }}|{{ 'a  b c'.split(none, 1) }}", "['a', 'b', '', 'c']|['a', 'b']|['a', 'b c']|['a b', 'c']|['a', 'b c']")]
    [InlineData("{{ 'Hi'.upper() }}|{{ 'Hi'.lower() }}|{{ 'hello wORLD'.title() }}|{{ 'aXa'.replace('a', 'b') }}|{{ 'x'.capitalize() }}", "HI|hi|Hello World|bXb|X")]
    [InlineData("{{ '{} and {name}'.format(1, name='x') }}|{{ '{0}{0}'.format('a') }}|{{ '{:.2f}'.format(2.5) }}|{{ ', '.join(['a', 'b']) }}", "1 and x|aa|2.50|a, b")]
    [InlineData("{{ 'abcabc'.find('c') }}|{{ 'abc'.find('z') }}|{{ 'abcabc'.count('bc') }}|{{ 'a\\nb\\r\\nc'.splitlines() }}|{{ '12'.isdigit() }}", "2|-1|2|['a', 'b', 'c']|True")]
    [InlineData("{{ d.get('a') }}|{{ d.get('z', 'dflt') }}|{{ d.get('z') }}|{{ d.keys() | list }}|{{ d.values() | list }}", "1|dflt|None|['a', 'b']|[1, 2]")]
    [InlineData("{{ '<think>x</think>\\n\\nanswer'.split('</think>')[-1].lstrip('\\n') }}|{{ [1, 2, 3].index(2) }}", "answer|1")]
    public void Render_StringAndDictMethods_AsPython(string source, string expected)
    {
        Assert.Equal(expected, Jinja.Render(source, Jinja.Vars(("d", Jinja.Map(("a", 1L), ("b", 2L))))));
    }
}
