using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Tests.Infrastructure;

/// <summary>One-entry-kind steps for runner tests: prefill a chunk or decode tokens and read back every row's logits.</summary>
public static class RunnerSteps
{
    /// <summary>Runs <paramref name="tokens"/> into <paramref name="slot"/>; returns the logits of every position.</summary>
    public static float[] Prefill(this IModelRunner runner, int slot, int[] tokens)
    {
        var batch = new StepBatch();
        var entry = batch.AddChunk(slot, tokens, allLogits: true);
        runner.Step(batch);
        return entry.Logits.ToArray();
    }

    /// <summary>One token for each slot, in one step; returns <c>[slots.Length, LogitsWidth]</c> logits.</summary>
    public static float[] Decode(this IModelRunner runner, int[] slots, int[] tokens)
    {
        var batch = new StepBatch();
        for (int i = 0; i < slots.Length; i++)
        {
            batch.AddToken(slots[i], tokens[i], allLogits: true);
        }

        runner.Step(batch);
        return batch.Entries.SelectMany(e => e.Logits.ToArray()).ToArray();
    }

    /// <summary>The last row of a logits array.</summary>
    public static float[] LastRow(this IModelRunner runner, float[] logits) => logits[^runner.LogitsWidth..];
}
