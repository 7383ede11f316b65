using System.Text;
using System.Text.Json;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Structured;
using static MambaServe.Engine.Tests.Scheduling.EngineCoreHarness;

namespace MambaServe.Engine.Tests.Scheduling;

/// <summary>
/// Structured outputs through the engine over the fake runner and a made-up 50-token vocabulary: random sampling
/// under the grammar's bans gives only valid output, which ends with EOS exactly when the grammar is complete.
/// </summary>
public sealed class EngineCoreStructuredTests
{
    private const int Eos = 49;

    // Ids 0-24 spell JSON pieces, 25-48 are not text (never allowed), 49 is EOS.
    private static readonly byte[]?[] s_tokens = [.. new[]
    {
        "{", "}", "[", "]", "\"", ":", ",", " ", "a", "b", "1", "0", "-", ".", "e", "true", "false", "null",
        "\"k\":", "\\n", "}}", "\"}", "\n", "2", "],",
    }.Select(Encoding.UTF8.GetBytes), .. new byte[]?[25]];

    private static readonly StructuredVocabulary s_vocabulary = new(s_tokens, Eos);

    [Fact]
    public void Step_JsonObjectConstraint_EverySampleIsAValidPrefixAndEndsWithEosWhenComplete()
    {
        var harness = new EngineCoreHarness(slots: 8, eosTokenId: Eos);
        var factory = new GrammarConstraintFactory<JsonSchemaState>(s_vocabulary, JsonSchemaState.StartObject());
        var groups = Enumerable.Range(0, 24)
            .Select(i => harness.Submit(Request(RandomPrompt(5), maxTokens: 300, temperature: 1, seed: 1000 + i) with { Constraint = factory }))
            .ToList();

        harness.RunUntilIdle();

        int completed = 0;
        foreach (var group in groups)
        {
            var updates = Drain(group);
            var tokens = Tokens(updates);
            var finish = updates[^1].Finish;
            var text = tokens.TakeWhile(t => t != Eos).SelectMany(t => s_tokens[t]!).ToArray();
            Assert.True(JsonSchemaState.StartObject().Feed(text, out var end), Encoding.UTF8.GetString(text));
            if (finish == FinishReason.Stop)
            {
                Assert.Equal(Eos, tokens[^1]);
                Assert.True(end.IsComplete);
                using var doc = JsonDocument.Parse(text);
                Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
                completed++;
            }
            else
            {
                Assert.Equal(FinishReason.Length, finish);
                Assert.DoesNotContain(Eos, tokens);
            }
        }

        Assert.True(completed >= 6, $"{completed} of 24 completed");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Step_AGrammarThatThrows_FailsOnlyItsRequest(int throwAt)
    {
        var harness = new EngineCoreHarness(slots: 4, eosTokenId: Eos);
        var failing = harness.Submit(Request(RandomPrompt(5), maxTokens: 8, temperature: 1, seed: 1) with { Constraint = new ThrowingFactory(throwAt) });
        var free = harness.Submit(Request(RandomPrompt(6), maxTokens: 8, temperature: 1, seed: 2, ignoreEos: true));

        harness.RunUntilIdle();

        var error = Error(failing);
        Assert.IsType<GenerationFailedException>(error);
        Assert.Contains("grammar budget", error!.Message, StringComparison.Ordinal);
        Assert.Equal(8, Tokens(Drain(free)).Length);
        Assert.Null(Error(free));
        Assert.Equal(0, harness.Core.Pool.InUse);
    }

    private sealed class ThrowingFactory(int throwAt) : ITokenConstraintFactory
    {
        public ITokenConstraint Create() => new Throwing(throwAt);

        private sealed class Throwing(int throwAt) : ITokenConstraint
        {
            private int _calls;

            public TokenMask Banned() => _calls++ == throwAt ? throw new InvalidOperationException("past the grammar budget") : TokenMask.None;

            public void Advance(int tokenId)
            {
            }
        }
    }

    [Fact]
    public void Step_ChoiceConstraint_EachSampleIsOneChoice()
    {
        var harness = new EngineCoreHarness(slots: 4, eosTokenId: Eos);
        var table = new ChoiceTable(["true", "null", "\"a\"", "ab1"]);
        var factory = new GrammarConstraintFactory<ChoiceGrammarState>(s_vocabulary, ChoiceGrammarState.Start(table));
        var group = harness.Submit(Request(RandomPrompt(5), maxTokens: 10, n: 4, temperature: 1, seed: 5) with { Constraint = factory });

        harness.RunUntilIdle();

        var updates = Drain(group);
        for (int s = 0; s < 4; s++)
        {
            var tokens = Tokens(updates, s);
            Assert.Equal(Eos, tokens[^1]);
            var text = Encoding.UTF8.GetString(tokens[..^1].SelectMany(t => s_tokens[t]!).ToArray());
            Assert.Contains(text, new[] { "true", "null", "\"a\"", "ab1" });
        }
    }
}
