using MambaServe.Engine.Backends;
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
