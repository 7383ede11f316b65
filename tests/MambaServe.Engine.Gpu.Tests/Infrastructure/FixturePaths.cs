using MambaServe.Engine.Backends;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Gpu.Tests.Infrastructure;

/// <summary>
/// Runs a reference case along a <see cref="FixturePath"/> on a runner of at least 4 slots and checks every position's
/// logits against the float64 reference. Shared by the CI tests (reference library) and the device tests.
/// </summary>
public static class FixturePaths
{
    public const int SlotsNeeded = 4;

    private static readonly int[] ChunkSizes = [1, 7, 3, 64, 2, 30];

    public static TheoryData<string, int, FixturePath> AllCases()
    {
        var data = new TheoryData<string, int, FixturePath>();
        foreach (var (model, index) in ReferenceSet.AllCaseKeys())
        {
            foreach (var path in Enum.GetValues<FixturePath>())
            {
                data.Add(model, index, path);
            }
        }

        return data;
    }

    public static void Check(IModelRunner runner, ReferenceCase c, FixturePath path, LogitsTolerance tolerance)
    {
        var tokens = c.Tokens;
        int p = Math.Clamp(c.PromptLength, 1, tokens.Length);
        void Rows(float[] logits, int first, int count)
        {
            for (int r = 0; r < count; r++)
            {
                tolerance.AssertRow(c, first + r, logits.AsSpan(r * runner.LogitsWidth, runner.LogitsWidth), path.ToString());
            }
        }

        switch (path)
        {
            case FixturePath.OnePrefill:
                Rows(runner.Prefill(0, tokens), 0, tokens.Length);
                break;
            case FixturePath.PromptThenDecode:
                Rows(runner.Prefill(1, tokens[..p]), 0, p);
                for (int t = p; t < tokens.Length; t++)
                {
                    Rows(runner.Decode([1], [tokens[t]]), t, 1);
                }

                break;
            case FixturePath.Chunked:
                for (int start = 0, i = 0; start < tokens.Length; i++)
                {
                    int length = Math.Min(ChunkSizes[i % ChunkSizes.Length], tokens.Length - start);
                    Rows(runner.Prefill(2, tokens[start..(start + length)]), start, length);
                    start += length;
                }

                break;
            case FixturePath.BatchedWithOthers:
                Rows(Batched(runner, tokens), 0, tokens.Length);
                break;
            case FixturePath.PrefixRestore:
                int half = Math.Max(1, tokens.Length / 2);
                Rows(runner.Prefill(0, tokens[..half]), 0, half);
                using (var snapshot = runner.Snapshot(0))
                {
                    runner.Prefill(0, [.. tokens[half..], .. tokens[..half]]); // the source slot moves on
                    runner.Restore(3, snapshot);
                }

                if (half < tokens.Length)
                {
                    Rows(runner.Prefill(3, tokens[half..]), half, tokens.Length - half);
                }

                break;
            case FixturePath.Fork:
                Rows(Forked(runner, tokens[..p]), 0, p);
                for (int t = p; t < tokens.Length; t++)
                {
                    Rows(runner.Decode([3], [tokens[t]]), t, 1);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(path), path, null);
        }
    }

    /// <summary>The case on slot 0, in one step with a prefill on slot 1 and decodes on slots 2 and 3.</summary>
    private static float[] Batched(IModelRunner runner, int[] tokens)
    {
        var rng = new Random(tokens.Length);
        int vocab = runner.Config.UnpaddedVocabSize;
        int[] other = [.. Enumerable.Range(0, 13).Select(_ => rng.Next(vocab))];
        var batch = new StepBatch();
        batch.AddToken(2, rng.Next(vocab)).AddSample(2, Greedy(other));
        var entry = batch.AddChunk(0, tokens, allLogits: true);
        entry.AddSample(0, Greedy(tokens));
        batch.AddChunk(1, other).AddSample(1, Greedy(other));
        batch.AddToken(3, rng.Next(vocab), allLogits: true);
        runner.Step(batch);
        return entry.Logits.ToArray();
    }

    /// <summary>The prompt on slot 0, sampled there and forked to slot 3 in the same step.</summary>
    private static float[] Forked(IModelRunner runner, int[] prompt)
    {
        var batch = new StepBatch();
        var entry = batch.AddChunk(0, prompt, allLogits: true);
        entry.AddSample(0, Greedy(prompt));
        entry.AddSample(3, Greedy(prompt));
        runner.Step(batch);
        Assert.Equal(entry.Samples[0].Chosen!.Value.TokenId, entry.Samples[1].Chosen!.Value.TokenId);
        return entry.Logits.ToArray();
    }

    private static SequenceSampling Greedy(int[] prompt) => new(new SamplingParams { Temperature = 0 }, 0, prompt);
}
