using MambaServe.Engine.Backends;
using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Tests.Backends.Conformance;

public abstract partial class RunnerConformanceTests
{
    [Fact]
    public void Begin_BatchesThatContinueTheOneInFlight_DrawWhatStepsInTurnDraw()
    {
        // The engine's running ahead (EngineCore.Ahead.cs): each decode batch is begun before the one it continues has
        // ended, its tokens those that batch chose. It must draw, token and logprob, what steps fed the same tokens by
        // the host draw: the sampler's positions and penalties move in the same order. Rows leave (a stopped row), and
        // the entries come in another order than the targets they continue.
        const int rows = 5, steps = 8;
        var rng = new Random(111);
        using var ahead = Create(rows);
        using var inTurn = Create(rows);
        var prompts = Enumerable.Range(0, rows).Select(i => Tokens(rng, ahead, 5 + 3 * i)).ToArray();
        var samplings = Enumerable.Range(0, rows).Select(i => i % 2 == 0
            ? new SequenceSampling(new SamplingParams { Temperature = 0, RepetitionPenalty = i == 2 ? 1.4f : 1f }, i, prompts[i])
            : new SequenceSampling(new SamplingParams { Temperature = 0.9f, TopP = 0.9f, FrequencyPenalty = 0.5f, Seed = 40 + i }, 40 + i, prompts[i]))
            .ToArray();
        int[][] order = Enumerable.Range(0, steps).Select(s =>
        {
            var live = Enumerable.Range(0, s >= 3 ? rows - 1 : rows);
            return (s % 2 == 1 ? live.Reverse() : live).ToArray();
        }).ToArray();

        var expected = StepInTurn(inTurn, prompts, samplings, order);

        var prefill = new StepBatch();
        for (int r = 0; r < rows; r++)
        {
            prefill.AddChunk(r, prompts[r]).AddSample(r, samplings[r]);
        }

        ahead.Begin(prefill);
        var previous = prefill;
        var chosen = new List<ChosenToken>[rows];
        int continued = 0;
        for (int s = 0; s < steps; s++)
        {
            // A runner may refuse to continue a batch (the GPU runner: one of several native steps); then the batch
            // ends first and the host writes the tokens, as the engine does.
            bool continues = ahead.CanContinue(previous);
            if (continues)
            {
                // As the engine decides: late in the batch in flight.
                ahead.WaitForTail();
            }
            else
            {
                ahead.End(previous);
                Collect(previous, chosen);
            }

            var next = new StepBatch();
            foreach (int r in order[s])
            {
                var target = previous.Entries.Single(e => e.Slot == r).Samples[0];
                var entry = continues ? next.AddNextToken(r, target) : next.AddToken(r, target.Chosen!.Value.TokenId);
                entry.AddSample(r, samplings[r]);
            }

            ahead.Begin(next);
            if (continues)
            {
                ahead.End(previous);
                Collect(previous, chosen);
            }

            previous = next;
            continued += continues ? 1 : 0;
        }

        ahead.End(previous);
        Collect(previous, chosen);

        Assert.True(continued >= steps - 1, $"{continued} of {steps} batches continued the one in flight");
        for (int r = 0; r < rows; r++)
        {
            Assert.Equal(expected[r].Select(c => c.TokenId), chosen[r].Select(c => c.TokenId));
            Assert.Equal(expected[r].Select(c => c.Logprob), chosen[r].Select(c => c.Logprob));
        }
    }

    /// <summary>The same steps, one after the other, each decode token written by the host.</summary>
    private static List<ChosenToken>[] StepInTurn(IModelRunner runner, int[][] prompts, SequenceSampling[] samplings, int[][] order)
    {
        var chosen = new List<ChosenToken>[prompts.Length];
        var batch = new StepBatch();
        for (int r = 0; r < prompts.Length; r++)
        {
            batch.AddChunk(r, prompts[r]).AddSample(r, samplings[r]);
        }

        runner.Step(batch);
        Collect(batch, chosen);
        foreach (var rows in order)
        {
            batch = new StepBatch();
            foreach (int r in rows)
            {
                batch.AddToken(r, chosen[r][^1].TokenId).AddSample(r, samplings[r]);
            }

            runner.Step(batch);
            Collect(batch, chosen);
        }

        return chosen;
    }

    private static void Collect(StepBatch batch, List<ChosenToken>[] chosen)
    {
        foreach (var entry in batch.Entries)
        {
            (chosen[entry.Slot] ??= []).Add(entry.Samples[0].Chosen!.Value);
        }
    }
}
