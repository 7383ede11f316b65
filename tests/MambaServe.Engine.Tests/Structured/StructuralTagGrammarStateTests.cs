using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MambaServe.Engine.Structured;

namespace MambaServe.Engine.Tests.Structured;

/// <summary>
/// vLLM's structural tag: free text, except that a trigger must go on into one of its structures (the rest of the
/// begin, a JSON value of the structure's schema, the end), after which the text is free again.
/// </summary>
public sealed class StructuralTagGrammarStateTests
{
    private static readonly StructuralTagGrammar s_functions = new(
    [
        ("<function=get_weather>", Schema("""{"type":"object","properties":{"city":{"enum":["Paris","Oslo"]}},"required":["city"],"additionalProperties":false}"""), "</function>"),
        ("<function=get_time>", Schema("""{"type":"object","properties":{"zone":{"enum":["UTC","CET"]}},"required":["zone"],"additionalProperties":false}"""), "</function>"),
        ("<<", Schema("""{"type":"integer"}"""), ""),
    ], ["<function=", "<<"]);

    [Theory]
    [InlineData("")]
    [InlineData("Just text, even <b>tags</b> and < signs.")]
    [InlineData("Let me look.<function=get_weather>{\"city\": \"Oslo\"}</function> Done.")]
    [InlineData("<function=get_time>{\"zone\":\"UTC\"}</function><function=get_weather>{\"city\":\"Paris\"}</function>")]
    [InlineData("x <<42 and <<7")]                                   // an empty end: the value ends where text that cannot continue it begins
    [InlineData("<fun<function=get_time>{\"zone\":\"CET\"}</function>")] // a trigger inside a near miss
    public void Feed_FreeTextAndWholeStructures_Complete(string text)
    {
        Assert.True(StructuralTagGrammarState.Start(s_functions).Feed(Encoding.UTF8.GetBytes(text), out var end) && end.IsComplete, text);
    }

    [Theory]
    [InlineData("<function=get_date>{}</function>")]                       // no structure begins so
    [InlineData("<function=get_weather>{\"city\": \"Rome\"}</function>")]  // not in the schema
    [InlineData("<function=get_weather>{\"zone\": \"UTC\"}</function>")]   // the other structure's value
    [InlineData("<function=get_weather>{\"city\": \"Oslo\"}</func>")]      // not its end
    [InlineData("<<x")]                                                     // no integer after the trigger
    public void Feed_ATriggerNotFollowedByItsStructure_Refused(string text)
    {
        Assert.False(StructuralTagGrammarState.Start(s_functions).Feed(Encoding.UTF8.GetBytes(text), out _), text);
    }

    [Theory]
    [InlineData("Look: <function=get_weather>{\"city\": \"Oslo\"")]
    [InlineData("<function=get_ti")]
    public void Feed_StoppedInsideAStructure_IsNotComplete(string text)
    {
        Assert.True(StructuralTagGrammarState.Start(s_functions).Feed(Encoding.UTF8.GetBytes(text), out var state));
        Assert.False(state.IsComplete);
    }

    [Theory]
    [InlineData(new[] { "<f" }, "<fn>", "")]           // fine
    [InlineData(new[] { "<f", "<fn" }, "<fn>", "triggers[0]")]
    [InlineData(new[] { "" }, "<fn>", "triggers[0]")]
    [InlineData(new[] { "[" }, "<fn>", "structures[0].begin")]
    [InlineData(new[] { "<" }, "<a", "structures[0].begin and structures[1].begin")]
    public void Create_AmbiguousOrUnreachable_IsRefusedNamingIt(string[] triggers, string begin, string named)
    {
        (string, SchemaNode, string)[] structures = [(begin, Schema("""{"type":"integer"}"""), "."), ("<ab", Schema("""{"type":"integer"}"""), ".")];
        if (named.Length == 0)
        {
            _ = new StructuralTagGrammar(structures[..1], triggers);
            return;
        }

        var ex = Assert.Throws<GrammarNotSupportedException>(() => new StructuralTagGrammar(structures, triggers));
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Random walks of allowed bytes: every structure in a finished walk's text holds a value of its schema.</summary>
    [Fact]
    public void RandomWalks_OfAllowedBytes_HoldValidStructures()
    {
        var rng = new Random(5);
        var alphabet = Enumerable.Range(0x20, 0x5F).Select(b => (byte)b).ToArray();
        int structures = 0;
        for (int walk = 0; walk < 200; walk++)
        {
            var state = StructuralTagGrammarState.Start(s_functions);
            var text = new List<byte>();
            for (int step = 0; step < 300; step++)
            {
                // Now and then write a trigger where it is allowed, so that walks enter structures.
                if (rng.Next(15) == 0 && state.Feed("<function="u8, out var triggered))
                {
                    (state, step) = (triggered, step + 10);
                    text.AddRange("<function="u8.ToArray());
                    continue;
                }

                var allowed = alphabet.Where(b => state.Feed(b, out _)).ToArray();
                Assert.NotEmpty(allowed);
                // Lean to the triggers' and the values' bytes so that walks write structures and finish them.
                var preferred = allowed.Where(b => "<f=\"}{ OslUTCP0123456789".Contains((char)b)).ToArray();
                byte next = preferred.Length > 0 && rng.Next(4) > 0 ? preferred[rng.Next(preferred.Length)] : allowed[rng.Next(allowed.Length)];
                Assert.True(state.Feed(next, out state));
                text.Add(next);
            }

            if (!state.IsComplete)
            {
                continue;
            }

            var written = Encoding.UTF8.GetString([.. text]);
            foreach (Match m in Regex.Matches(written, "<function=(get_weather|get_time)>(.*?)</function>"))
            {
                structures++;
                using var doc = JsonDocument.Parse(m.Groups[2].Value);
                string key = m.Groups[1].Value == "get_weather" ? "city" : "zone";
                Assert.Equal(key, Assert.Single(doc.RootElement.EnumerateObject()).Name);
            }
        }

        Assert.True(structures > 20, $"only {structures} structures were written");
    }

    private static SchemaNode Schema(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return StructuredOutputs.CompileSchema(doc.RootElement);
    }
}
