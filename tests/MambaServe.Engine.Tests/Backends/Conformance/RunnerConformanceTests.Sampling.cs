using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Tests.Backends.Conformance;

public abstract partial class RunnerConformanceTests
{
    [Fact]
    public void Step_SameSeedOnTwoSlots_SameTokensAndANewSamplingReplaysThem()
    {
        var rng = new Random(108);
        using var runner = Create(3);
        var prompt = Tokens(rng, runner, 12);
        var parameters = new SamplingParams { Temperature = 1.1f, TopP = 0.95f, Seed = 77 };
        var a = Generate(runner, prompt, [(0, new SequenceSampling(parameters, 77, prompt)), (1, new SequenceSampling(parameters, 77, prompt))], 12);
        Assert.Equal(a[0], a[1]);

        // A new instance on a used slot restarts its sampler: the same seed gives the same tokens again.
        runner.ZeroSlot(0);
        var again = Generate(runner, prompt, [(0, new SequenceSampling(parameters, 77, prompt))], 12);
        Assert.Equal(a[0], again[0]);
    }

    [Fact]
    public void Step_TwelveSeededForksOfOneRow_EachDrawsWhatItDrawsAlone()
    {
        // Twelve targets of one step share a row of logits (forks of one prompt); each must draw with its own seed,
        // parameters and logprob as if it were the step's only target, however the runner spreads the draws.
        const int targets = 12;
        var rng = new Random(109);
        using var together = Create(targets);
        using var alone = Create(targets);
        var prompt = Tokens(rng, together, 9);
        var samplings = Enumerable.Range(0, targets).Select(i => new SequenceSampling(new SamplingParams
        {
            Temperature = 0.6f + 0.1f * (i % 5), TopP = i % 3 == 0 ? 1f : 0.9f, TopK = i % 4 == 1 ? 20 : 0,
            RepetitionPenalty = i % 2 == 0 ? 1f : 1.3f, Logprobs = i % 3 == 2 ? 2 : null, Seed = 500 + i,
        }, 500 + i, prompt)).ToArray();

        var batch = new StepBatch();
        var entry = batch.AddChunk(0, prompt);
        var drawn = Enumerable.Range(0, targets).Select(i => entry.AddSample(i, samplings[i])).ToArray();
        together.Step(batch);

        for (int i = 0; i < targets; i++)
        {
            alone.ZeroSlot(0);
            var single = new StepBatch();
            var target = single.AddChunk(0, prompt).AddSample(i, samplings[i]);
            alone.Step(single);
            var (expected, actual) = (target.Chosen!.Value, drawn[i].Chosen!.Value);
            Assert.Equal(expected.TokenId, actual.TokenId);
            Assert.Equal(expected.Logprob, actual.Logprob);
            Assert.Equal(expected.Top?.Select(t => t.TokenId), actual.Top?.Select(t => t.TokenId));
        }
    }

    [Fact]
    public void GreedyFromPrompt_EveryReferenceCase_ReproducesTheReferenceContinuation()
    {
        if (SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }

        int checkedCases = 0;
        foreach (var (model, _, _) in ReferenceSet.Models)
        {
            using var runner = CreateReferenceRunner(model, 1);
            if (runner is null)
            {
                continue;
            }

            foreach (var c in ReferenceSet.Cases(model))
            {
                runner.ZeroSlot(0);
                var prompt = c.Tokens[..c.PromptLength];
                var continuation = Generate(runner, prompt, [(0, Greedy(prompt))], c.Tokens.Length - c.PromptLength, runner.Config.EosTokenId)[0];
                Assert.True(c.Tokens[c.PromptLength..].SequenceEqual(continuation), $"{c}: got [{string.Join(", ", continuation)}]");
                checkedCases++;
            }
        }

        if (checkedCases == 0)
        {
            Assert.Skip("This runner loads no reference checkpoint.");
        }
    }

    [Fact]
    public void Step_BanStopTokens_AvoidsTheBansOnlyWhileFlaggedAndReportsRawLogprobs()
    {
        var rng = new Random(109);
        using var runner = Create(3);
        var prompt = Tokens(rng, runner, 14);
        int vocab = runner.Config.UnpaddedVocabSize;
        // min_tokens' bans, widened to all but four ids: a draw outside them is a ban that did not hold.
        var allowed = Enumerable.Range(0, vocab).OrderBy(_ => rng.Next()).Take(4).ToHashSet();
        int[] bans = Enumerable.Range(0, vocab).Where(id => !allowed.Contains(id)).ToArray();
        var greedy = new SequenceSampling(new SamplingParams { Temperature = 0, Logprobs = 3 }, 1, prompt, bans);
        var sampled = new[] { 2, 3 }.Select(seed => new SequenceSampling(new SamplingParams { Temperature = 1.3f, TopP = 0.95f }, seed, prompt, bans)).ToArray();
        var batch = new StepBatch();
        var entry = batch.AddChunk(0, prompt, allLogits: true);
        entry.AddSample(0, greedy, banStopTokens: true);
        entry.AddSample(1, sampled[0], banStopTokens: true);
        entry.AddSample(2, sampled[1], banStopTokens: true);

        runner.Step(batch);

        var row = entry.Logits.Span[^runner.LogitsWidth..][..vocab].ToArray();
        var chosen = entry.Samples[0].Chosen!.Value;
        Assert.Equal(allowed.MaxBy(id => (row[id], -id)), chosen.TokenId);
        Assert.All(entry.Samples, t => Assert.Contains(t.Chosen!.Value.TokenId, allowed));
        // Logprobs are the raw logits' (as with logit_bias): the banned argmax is still reported first, never -inf.
        float logNorm = LogSumExp(row);
        Assert.True(MathF.Abs(row[chosen.TokenId] - logNorm - chosen.Logprob) <= 1e-3f, $"logprob {chosen.Logprob}");
        Assert.Equal(3, chosen.Top.Count);
        Assert.Equal(ArgMax(row), chosen.Top[0].TokenId);
        Assert.All(chosen.Top, t => Assert.True(float.IsFinite(t.Logprob)));

        // The next step bans nothing for the greedy sample (the flag is per step) and still all for the others.
        var tokens = entry.Samples.Select(t => t.Chosen!.Value.TokenId).ToArray();
        batch.Clear();
        var free = batch.AddToken(0, tokens[0], allLogits: true);
        free.AddSample(0, greedy);
        batch.AddToken(1, tokens[1]).AddSample(1, sampled[0], banStopTokens: true);
        batch.AddToken(2, tokens[2]).AddSample(2, sampled[1], banStopTokens: true);

        runner.Step(batch);

        Assert.Equal(ArgMax(free.Logits.Span[..vocab]), free.Samples[0].Chosen!.Value.TokenId);
        Assert.Contains(batch.Entries[1].Samples[0].Chosen!.Value.TokenId, allowed);
        Assert.Contains(batch.Entries[2].Samples[0].Chosen!.Value.TokenId, allowed);
    }

    [Fact]
    public void Step_GrammarBans_ChangeEveryStepAndJoinTheMinTokensBans()
    {
        var rng = new Random(113);
        using var runner = Create(2);
        var prompt = Tokens(rng, runner, 9);
        int vocab = runner.Config.UnpaddedVocabSize;
        var stopBans = Enumerable.Range(0, vocab).OrderBy(_ => rng.Next()).Take(vocab / 2).ToArray();
        var greedy = new SequenceSampling(new SamplingParams { Temperature = 0 }, 1, prompt, stopBans);
        var sampled = new SequenceSampling(new SamplingParams { Temperature = 1.1f, TopK = 50 }, 4, prompt, stopBans);
        var batch = new StepBatch();
        var entry = batch.AddChunk(0, prompt, allLogits: true);
        int[] last = [0, 0];
        for (int step = 0; step < 3; step++)
        {
            // A grammar that allows three other ids each step, on top of min_tokens' bans on the first step only.
            var allowed = Enumerable.Range(0, vocab).Where(id => !stopBans.Contains(id) || step > 0).OrderBy(_ => rng.Next()).Take(3).ToHashSet();
            var grammar = TokenMask.Of(Enumerable.Range(0, vocab).Where(id => !allowed.Contains(id)), vocab);
            if (step > 0)
            {
                batch.Clear();
                entry = batch.AddToken(0, last[0], allLogits: true);
                batch.AddToken(1, last[1]);
            }

            var greedyTarget = entry.AddSample(0, greedy, banStopTokens: step == 0, grammarBans: grammar);
            var sampledTarget = (step == 0 ? entry : batch.Entries[1]).AddSample(1, sampled, banStopTokens: step == 0, grammarBans: grammar);

            runner.Step(batch);

            var row = entry.Logits.Span[^runner.LogitsWidth..][..vocab].ToArray();
            Assert.Equal(allowed.MaxBy(id => (row[id], -id)), greedyTarget.Chosen!.Value.TokenId);
            Assert.Contains(sampledTarget.Chosen!.Value.TokenId, allowed);
            last = [greedyTarget.Chosen!.Value.TokenId, sampledTarget.Chosen!.Value.TokenId];
        }
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
        {
            if (row[i] > row[best])
            {
                best = i;
            }
        }

        return best;
    }

    private static float LogSumExp(ReadOnlySpan<float> row)
    {
        float max = row[ArgMax(row)];
        double sum = 0;
        foreach (float v in row)
        {
            sum += Math.Exp(v - max);
        }

        return (float)(max + Math.Log(sum));
    }

    /// <summary>
    /// Prefills <paramref name="prompt"/> into the first target's slot (forking to the others), then decodes each
    /// target's own tokens until <paramref name="count"/> or <paramref name="eos"/>; returns each target's tokens.
    /// </summary>
    private static List<int>[] Generate(IModelRunner runner, int[] prompt, (int Slot, SequenceSampling Sampling)[] targets, int count, int? eos = null)
    {
        var output = targets.Select(_ => new List<int>()).ToArray();
        if (count == 0)
        {
            return output;
        }

        var batch = new StepBatch();
        var entry = batch.AddChunk(targets[0].Slot, prompt);
        foreach (var (slot, sampling) in targets)
        {
            entry.AddSample(slot, sampling);
        }

        while (true)
        {
            runner.Step(batch);
            var ended = true;
            for (int i = 0; i < targets.Length; i++)
            {
                var token = batch.Entries.SelectMany(e => e.Samples).Single(t => t.Slot == targets[i].Slot).Chosen!.Value.TokenId;
                output[i].Add(token);
                ended &= output[i].Count == count || token == eos;
            }

            if (ended)
            {
                return output;
            }

            batch.Clear();
            for (int i = 0; i < targets.Length; i++)
            {
                batch.AddToken(targets[i].Slot, output[i][^1]).AddSample(targets[i].Slot, targets[i].Sampling);
            }
        }
    }
}
