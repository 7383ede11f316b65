using MambaServe.Engine.Generation;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Tests.Infrastructure;
using static MambaServe.Engine.Tests.Scheduling.EngineCoreHarness;

namespace MambaServe.Engine.Tests.Scheduling;

/// <summary>
/// min_tokens (vLLM): a sample's first min_tokens tokens cannot be EOS or a stop token id, and no stop condition ends
/// the sample on them; each case first shows that the same request without min_tokens stops early.
/// </summary>
public sealed class EngineCoreMinTokensTests
{
    [Fact]
    public void Step_EosIsTheGreedyFirstToken_BannedForTheFirstMinTokensThenStops()
    {
        int[] prompt = RandomPrompt(15);
        int eos = new EngineCoreHarness().GreedyReference(prompt, 1)[0];
        var control = new EngineCoreHarness(eosTokenId: eos);
        Assert.Equal([eos], Tokens(Run(control, Request(prompt, maxTokens: 12))));

        var harness = new EngineCoreHarness(eosTokenId: eos);
        var updates = Run(harness, Request(prompt, maxTokens: 12, minTokens: 4));

        int[] tokens = Tokens(updates);
        Assert.True(tokens.Length >= 4, $"only {tokens.Length} tokens");
        Assert.DoesNotContain(eos, tokens[..4]);
        Assert.Equal(Expected(harness.GreedyReference(prompt, 12, [eos], 4), [eos], 4), tokens);
        Assert.Equal(tokens[^1] == eos ? FinishReason.Stop : FinishReason.Length, updates[^1].Finish);
        Assert.Equal(tokens.Length, updates[^1].Usage!.CompletionTokens);
    }

    [Fact]
    public void Step_StopTokenIdIsTheGreedyFirstToken_BannedForTheFirstMinTokens()
    {
        int[] prompt = RandomPrompt(12);
        var probe = new EngineCoreHarness();
        int[] greedy = probe.GreedyReference(prompt, 1);
        int stop = greedy[0];
        Assert.Equal([stop], Tokens(Run(new EngineCoreHarness(), Request(prompt, maxTokens: 10, stopTokenIds: [stop]))));

        var harness = new EngineCoreHarness();
        var updates = Run(harness, Request(prompt, maxTokens: 10, stopTokenIds: [stop], minTokens: 3));

        int[] tokens = Tokens(updates);
        Assert.True(tokens.Length >= 3, $"only {tokens.Length} tokens");
        Assert.DoesNotContain(stop, tokens[..3]);
        Assert.Equal(Expected(harness.GreedyReference(prompt, 10, [stop], 3), [stop], 3), tokens);
    }

    [Fact]
    public void Step_MinTokensWithIgnoreEos_StillBansEosForTheFirstTokensAsVllm()
    {
        int[] prompt = RandomPrompt(15);
        int eos = new EngineCoreHarness().GreedyReference(prompt, 1)[0];
        var harness = new EngineCoreHarness(eosTokenId: eos);

        var updates = Run(harness, Request(prompt, maxTokens: 6, minTokens: 2, ignoreEos: true));

        Assert.Equal(harness.GreedyReference(prompt, 6, [eos], 2), Tokens(updates));
        Assert.Equal(FinishReason.Length, updates[^1].Finish);
    }

    [Fact]
    public void Step_StopStringInTheFirstMinTokens_NotHonouredUntilALaterToken()
    {
        int[] prompt = RandomPrompt(11);
        int[] greedy = new EngineCoreHarness().GreedyReference(prompt, 10);
        string stop = FakeTextStreamFactory.TextOf(greedy[1]);
        var control = Run(new EngineCoreHarness(), Request(prompt, maxTokens: 10, stop: [stop]));
        Assert.Equal(FinishReason.Stop, control[^1].Finish);
        Assert.Equal(Array.IndexOf(greedy, greedy[1]) + 1, Tokens(control).Length);

        var updates = Run(new EngineCoreHarness(), Request(prompt, maxTokens: 10, stop: [stop], minTokens: 4));

        // The first match that ends in the text of token 5 or later ends the sample; the text stops before it.
        int at = Array.IndexOf(greedy, greedy[1], 4);
        int[] expected = at < 0 ? greedy : greedy[..(at + 1)];
        Assert.Equal(expected, Tokens(updates));
        Assert.Equal(at < 0 ? FinishReason.Length : FinishReason.Stop, updates[^1].Finish);
        string text = string.Concat(greedy[..(at < 0 ? greedy.Length : at)].Select(FakeTextStreamFactory.TextOf));
        Assert.Equal(text, string.Concat(updates.Select(u => u.TextDelta)));
        Assert.Contains(stop, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_MinTokensWithForks_EachSampleCountsItsOwnTokens()
    {
        // Four ids, two of them stop tokens (EOS 0, stop id 1): a uniform draw stops a sample half the time.
        const int MinTokens = 5;
        int[] prompt = RandomPrompt(9, width: 4);
        var control = new EngineCoreHarness(slots: 4, width: 4, eosTokenId: 0);
        var free = Run(control, Request(prompt, maxTokens: 16, n: 3, temperature: 1, seed: 1234, stopTokenIds: [1]));
        Assert.Contains(Enumerable.Range(0, 3), s => Tokens(free, s).Length < MinTokens);

        var harness = new EngineCoreHarness(slots: 4, width: 4, eosTokenId: 0);
        var updates = Run(harness, Request(prompt, maxTokens: 16, n: 3, temperature: 1, seed: 1234, stopTokenIds: [1], minTokens: MinTokens));

        Assert.Equal(2, harness.Runner.ForkCount);
        for (int s = 0; s < 3; s++)
        {
            int[] tokens = Tokens(updates, s);
            var last = updates.Last(u => u.SampleIndex == s);
            Assert.True(tokens.Length >= MinTokens, $"sample {s}: {tokens.Length} tokens");
            Assert.All(tokens[..^1], t => Assert.True(t > 1, $"sample {s}: stop token inside [{string.Join(", ", tokens)}]"));
            Assert.Equal(tokens[^1] <= 1 ? FinishReason.Stop : FinishReason.Length, last.Finish);
            Assert.True(tokens[^1] > 1 || tokens.Length > MinTokens, $"sample {s} stopped on token {tokens.Length}");
        }
    }

    private static List<GenerationUpdate> Run(EngineCoreHarness harness, GenerationRequest request)
    {
        var group = harness.Submit(request);
        harness.RunUntilIdle();
        var updates = Drain(group);
        Assert.Null(Error(group));
        return updates;
    }

    /// <summary><paramref name="greedy"/> cut after its first stop token past the first <paramref name="minTokens"/>.</summary>
    private static int[] Expected(int[] greedy, int[] stops, int minTokens)
    {
        for (int i = minTokens; i < greedy.Length; i++)
        {
            if (stops.Contains(greedy[i]))
            {
                return greedy[..(i + 1)];
            }
        }

        return greedy;
    }
}
