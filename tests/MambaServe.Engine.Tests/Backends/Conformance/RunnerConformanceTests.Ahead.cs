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

    [Fact]
    public void Begin_AContinuedRowFedOneOfItsStopTokens_LeavesItsSlotAsItWas()
    {
        // A batch begun ahead feeds each row the token just drawn; a row whose token is one of its sample's stop tokens
        // (the sample ended there) must leave its slot as it was, so that the state a finished answer leaves is the
        // one stepping in turn leaves. Every id is a stop token of row 0; row 1 has none and steps as usual. The runner
        // in turn runs the same bucket of rows, row 0's token on a spare slot.
        var rng = new Random(222);
        using var ahead = Create(4);
        using var inTurn = Create(4);
        // Short prompts: the two fit one native step of a runner with few tokens a step, which a batch can continue.
        int[][] prompts = [Tokens(rng, ahead, 3), Tokens(rng, ahead, 3)];
        var greedy = new SamplingParams { Temperature = 0 };
        SequenceSampling[] samplings =
        [
            new(greedy, 0, prompts[0], stopTokens: Enumerable.Range(0, ahead.LogitsWidth).ToArray()),
            new(greedy, 1, prompts[1]),
        ];

        var prefill = new StepBatch();
        var prefillInTurn = new StepBatch();
        for (int r = 0; r < 2; r++)
        {
            prefill.AddChunk(r, prompts[r]).AddSample(r, samplings[r]);
            prefillInTurn.AddChunk(r, prompts[r]).AddSample(r, samplings[r]);
        }

        ahead.Begin(prefill);
        Assert.True(ahead.CanContinue(prefill));
        ahead.WaitForTail();

        var next = new StepBatch();
        for (int r = 0; r < 2; r++)
        {
            next.AddNextToken(r, prefill.Entries[r].Samples[0]).AddSample(r, samplings[r]);
        }

        ahead.Begin(next);
        ahead.End(prefill);
        ahead.End(next);

        inTurn.Step(prefillInTurn);
        int[] drawn = [.. prefillInTurn.Entries.Select(e => e.Samples[0].Chosen!.Value.TokenId)];
        Assert.Equal(drawn, prefill.Entries.Select(e => e.Samples[0].Chosen!.Value.TokenId));
        var nextInTurn = new StepBatch();
        nextInTurn.AddToken(2, drawn[0]).AddSample(2, Greedy(prompts[0]));
        nextInTurn.AddToken(1, drawn[1]).AddSample(1, samplings[1]);
        inTurn.Step(nextInTurn);

        Assert.Equal(State(inTurn, 0), State(ahead, 0));
        Assert.Equal(State(inTurn, 1), State(ahead, 1));
        Assert.Equal(nextInTurn.Entries[1].Samples[0].Chosen!.Value, next.Entries[1].Samples[0].Chosen!.Value);
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
