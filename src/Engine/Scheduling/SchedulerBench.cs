using System.Diagnostics;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Scheduling;

/// <summary>
/// Measures what the engine itself costs per step (scheduling, slot bookkeeping, update publishing) with
/// <c>sequences</c> decoding at once on a runner that computes nothing and samples token 1. A tool for the <c>bench</c>
/// command, not a test: it prints numbers and asserts nothing. Update channels are drained between steps, outside
/// the timing, as the server's readers would. <c>texts</c>: the text streams (default: none, no text); with
/// <c>backgroundOutbox</c> the updates and their text are made on the outbox's thread, as in the engine loop, and the
/// timing is what is left on the engine thread (what a runner's device waits for between steps). <c>deviceStep</c>:
/// the runner holds the engine thread that long per step, as a device step does, so the timing shows what of the
/// host work still adds to it.
/// </summary>
public static class SchedulerBench
{
    public static SchedulerBenchResult Run(
        int sequences = 256, int steps = 2000, ITextStreamFactory? texts = null, bool backgroundOutbox = false,
        TimeSpan deviceStep = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sequences, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var options = new SchedulerOptions
        {
            MaxRunningSequences = sequences,
            MaxBatchTokensPerStep = sequences * 9,
            MaxWaitingRequests = sequences,
            PrefixCacheMaxBytes = 0,
        };
        using var outbox = backgroundOutbox ? UpdateOutbox.Background() : UpdateOutbox.Inline();
        outbox.Start();
        var core = new EngineCore(
            new NoOpModelRunner(sequences, 64, deviceStep), options, new NoScores(), texts ?? new SilentTextStream(), TimeProvider.System, outbox: outbox);
        var sampling = new SamplingParams { MaxTokens = int.MaxValue, IgnoreEos = true, Temperature = 0 };
        var groups = new List<SequenceGroup>(sequences);
        for (int i = 0; i < sequences; i++)
        {
            var group = new SequenceGroup(new GenerationRequest($"bench-{i}", [1, 2, 3, 4, 5, 6, 7, 8], sampling), i, null, i);
            groups.Add(group);
            core.Submit(group);
        }

        // Warm up until everything decodes (prefill done, JIT warm).
        for (int i = 0; i < 10; i++)
        {
            core.Step();
            Drain(groups);
        }

        var total = TimeSpan.Zero;
        var fastest = TimeSpan.MaxValue;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        long drainAllocations = 0;
        for (int i = 0; i < steps; i++)
        {
            long started = Stopwatch.GetTimestamp();
            core.Step();
            var elapsed = Stopwatch.GetElapsedTime(started);
            total += elapsed;
            fastest = elapsed < fastest ? elapsed : fastest;
            long beforeDrain = GC.GetAllocatedBytesForCurrentThread();
            Drain(groups);
            drainAllocations += GC.GetAllocatedBytesForCurrentThread() - beforeDrain;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore - drainAllocations;
        core.AbortAll();
        return new SchedulerBenchResult(sequences, steps, total / steps, fastest, (double)allocated / steps);
    }

    private static void Drain(List<SequenceGroup> groups)
    {
        foreach (var group in groups)
        {
            while (group.Updates.Reader.TryRead(out _))
            {
            }
        }
    }

    private sealed class NoScores : IPromptScorer
    {
        public TokenLogprob Score(ReadOnlySpan<float> logitsRow, int tokenId, int topN) => new(tokenId, 0f, []);
    }

    private sealed class SilentTextStream : ITextStreamFactory, ITextStream
    {
        public ITextStream Create(SamplingParams sampling) => this;

        public TextStep Push(int tokenId, bool mayStop) => new(string.Empty, false);

        public string Flush() => string.Empty;
    }
}
