using System.Text;
using MambaServe.Engine.Structured;

namespace MambaServe.Engine.Tests.Structured;

/// <summary>
/// Every grammar reads UTF-8 as the standard's well-formed table has it: each 2- and 3-byte sequence and each 4-byte
/// lead with its first continuation byte is taken exactly when .NET's strict decoder takes it, in free JSON strings,
/// regex text and GBNF text alike (so a model writing raw byte tokens cannot put an overlong form, a surrogate or a
/// code point past U+10FFFF into a structured output).
/// </summary>
public sealed class Utf8WellFormednessTests
{
    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static TheoryData<string> Grammars => ["json", "regex", "gbnf"];

    [Theory]
    [MemberData(nameof(Grammars))]
    public void Feed_EveryShortSequence_TakenExactlyWhenWellFormed(string grammar)
    {
        int taken = 0;
        foreach (var bytes in Sequences())
        {
            bool ours = Accepts(grammar, bytes);

            Assert.True(ours == WellFormed(bytes), $"{grammar}: {Convert.ToHexString(bytes)} ours {ours}");
            taken += ours ? 1 : 0;
        }

        Assert.True(taken > 60_000, $"{taken} sequences taken");
    }

    private static bool Accepts(string grammar, byte[] bytes) => grammar switch
    {
        // A JSON string's inside, then the closing quote and brace.
        "json" => JsonSchemaState.StartObject().Feed("{\"a\":\""u8, out var open)
                  && open.Feed(bytes, out var inside) && inside.Feed("\"}"u8, out var end) && end.IsComplete,
        "regex" => RegexGrammarState.Start(StructuredOutputs.CompileRegex("(.|\\n)*")).Feed(bytes, out var r) && r.IsComplete,
        _ => GbnfGrammarState.Start(StructuredOutputs.CompileGrammar("root ::= .*")).Feed(bytes, out var g) && g.IsComplete,
    };

    /// <summary>Multi-byte sequences only (ASCII means different things to each grammar): every lead with every
    /// continuation, every 3-byte sequence, 4-byte leads with each first continuation byte.</summary>
    private static IEnumerable<byte[]> Sequences()
    {
        for (int a = 0x80; a <= 0xFF; a++)
        {
            for (int b = 0x80; b <= 0xBF; b++)
            {
                yield return [(byte)a, (byte)b];
                if (a is >= 0xE0 and <= 0xEF)
                {
                    for (int c = 0x80; c <= 0xBF; c++)
                    {
                        yield return [(byte)a, (byte)b, (byte)c];
                    }
                }

                if (a >= 0xF0)
                {
                    yield return [(byte)a, (byte)b, 0x80, 0xBF];
                }
            }
        }
    }

    private static bool WellFormed(byte[] bytes)
    {
        try
        {
            s_strict.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
