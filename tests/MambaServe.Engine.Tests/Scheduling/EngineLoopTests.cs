using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using static MambaServe.Engine.Tests.Scheduling.EngineCoreHarness;

namespace MambaServe.Engine.Tests.Scheduling;

public sealed class EngineLoopTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static (EngineLoop Loop, FakeModelRunner Runner, FakeTimeProvider Time) Build(SchedulerOptions? options = null, int slots = 4)
    {
        options ??= new SchedulerOptions { MaxRunningSequences = slots, MaxBatchTokensPerStep = 64, PrefillChunkSize = 16, PrefixCacheMaxBytes = 0 };
        var choosers = new FakeTokenChooserFactory();
        var runner = new FakeModelRunner(slots, choosers: choosers);
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(Random.Shared.Next(1, 10_000)));
        return (new EngineLoop(runner, options, choosers, new FakeTextStreamFactory(), time), runner, time);
    }

    private static async Task<List<GenerationUpdate>> CollectAsync(IAsyncEnumerable<GenerationUpdate> updates)
    {
        var list = new List<GenerationUpdate>();
        await foreach (var update in updates.WithCancellation(Ct))
        {
            list.Add(update);
        }

        return list;
    }

    /// <summary>Makes every step signal <c>Entered</c> and block until <c>Release</c> is set.</summary>
    private static (ManualResetEventSlim Entered, ManualResetEventSlim Release) HoldSteps(FakeModelRunner runner)
    {
        var entered = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        runner.OnStep = () =>
        {
            entered.Set();
            release.Wait(Ct);
        };
        return (entered, release);
    }

    private static void WaitUntil(Func<bool> condition)
    {
        Assert.True(SpinWait.SpinUntil(condition, Patience), "condition not reached");
    }

    [Fact]
    public async Task GenerateAsync_Started_StreamsGreedyContinuation()
    {
        var (loop, runner, _) = Build();
        loop.Start();
        int[] prompt = RandomPrompt(33);
        var reference = new EngineCoreHarness().GreedyReference(prompt, 12);

        var updates = await CollectAsync(loop.GenerateAsync(Request(prompt, maxTokens: 12), Ct));

        Assert.Equal(reference, Tokens(updates));
        Assert.Equal(FinishReason.Length, updates[^1].Finish);
        await loop.StopAsync(Ct);
        Assert.Equal(0, loop.Stats.SlotsInUse);
        Assert.True(loop.Stats.Steps > 0);
        Assert.Equal(runner.SlotCount, loop.Stats.SlotsTotal);
    }

    /// <summary>
    /// A request without stop strings has its text made on the update outbox's thread while the next step runs; one
    /// with a stop string (here one that never matches) has it made on the engine thread. Both stream the same.
    /// </summary>
    [Fact]
    public async Task GenerateAsync_TextOnTheOutboxOrOnTheEngineThread_SameTokensTextAndFinish()
    {
        var (loop, _, _) = Build();
        loop.Start();
        int[] prompt = RandomPrompt(21);

        var outboxText = loop.GenerateAsync(Request(prompt, maxTokens: 15, logprobs: 2), Ct);
        var engineText = loop.GenerateAsync(Request(prompt, maxTokens: 15, logprobs: 2, stop: ["never shown"]), Ct);
        var a = await CollectAsync(outboxText);
        var b = await CollectAsync(engineText);

        Assert.Equal(15, Tokens(a).Length);
        Assert.Equal(Tokens(b), Tokens(a));
        Assert.Equal(string.Concat(b.Select(u => u.TextDelta)), string.Concat(a.Select(u => u.TextDelta)));
        Assert.Equal(string.Concat(Tokens(a).Select(FakeTextStreamFactory.TextOf)), string.Concat(a.Select(u => u.TextDelta)));
        Assert.Equal(b.SelectMany(u => u.Logprobs!).Select(l => l.Logprob), a.SelectMany(u => u.Logprobs!).Select(l => l.Logprob));
        Assert.Equal((FinishReason.Length, 15), (a[^1].Finish!.Value, a[^1].Usage!.CompletionTokens));
        Assert.Equal(a[^1].Usage, b[^1].Usage);
        await loop.StopAsync(Ct);
    }

    /// <summary>
    /// The outbox thread makes the text of samples without stop strings; a text stream that throws there fails its own
    /// request (as on the engine thread), the reader's departure frees its slot, and the other request streams on.
    /// </summary>
    [Fact]
    public async Task GenerateAsync_TextFailsOnTheOutboxThread_FailsThatRequestOnly()
    {
        var options = new SchedulerOptions { MaxRunningSequences = 4, MaxBatchTokensPerStep = 64, PrefillChunkSize = 16, PrefixCacheMaxBytes = 0 };
        var choosers = new FakeTokenChooserFactory();
        var runner = new FakeModelRunner(4, choosers: choosers);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using var loop = new EngineLoop(runner, options, choosers, new BreaksAtMaxTokens(13), time);
        loop.Start();
        int[] prompt = RandomPrompt(9);

        var failing = CollectAsync(loop.GenerateAsync(Request(prompt, maxTokens: 13), Ct));
        var healthy = await CollectAsync(loop.GenerateAsync(Request(prompt, maxTokens: 12), Ct));

        var error = await Assert.ThrowsAsync<GenerationFailedException>(() => failing);
        Assert.IsType<FormatException>(error.InnerException);
        Assert.Equal(12, Tokens(healthy).Length);
        Assert.Equal(FinishReason.Length, healthy[^1].Finish);
        WaitUntil(() => loop.Stats.SlotsInUse == 0);
    }

    /// <summary>The fake text, except that a request with this max_tokens gets a stream that throws on its third token.</summary>
    private sealed class BreaksAtMaxTokens(int maxTokens) : ITextStreamFactory
    {
        private readonly FakeTextStreamFactory _texts = new();

        public ITextStream Create(MambaServe.Engine.Sampling.SamplingParams sampling) =>
            sampling.MaxTokens == maxTokens ? new Breaking() : _texts.Create(sampling);

        private sealed class Breaking : ITextStream
        {
            private int _pushed;

            public TextStep Push(int tokenId, bool mayStop) => ++_pushed < 3 ? new TextStep("x", false) : throw new FormatException("bad bytes");

            public string Flush() => string.Empty;
        }
    }

    [Fact]
    public async Task GenerateAsync_WaitingRequestsFull_ThrowsOverloadedAtOnce()
    {
        var options = new SchedulerOptions { MaxRunningSequences = 1, MaxBatchTokensPerStep = 8, PrefillChunkSize = 8, MaxWaitingRequests = 1, PrefixCacheMaxBytes = 0 };
        var (loop, runner, _) = Build(options, slots: 1);
        var (entered, release) = HoldSteps(runner);
        using var _ = entered;
        using var __ = release;
        loop.Start();

        var running = loop.GenerateAsync(Request(RandomPrompt(4), maxTokens: 2), Ct);
        Assert.True(entered.Wait(Patience, Ct));
        var waiting = loop.GenerateAsync(Request(RandomPrompt(4), maxTokens: 2), Ct);

        Assert.Throws<EngineOverloadedException>(() => loop.GenerateAsync(Request(RandomPrompt(4), maxTokens: 2), Ct));
        release.Set();
        Assert.Equal(2, (await CollectAsync(running)).Count);
        Assert.Equal(2, (await CollectAsync(waiting)).Count);
        await loop.StopAsync(Ct);
    }

    /// <summary>
    /// A burst of 1,000 requests while the engine is busy (vLLM's benchmark client sends its 1,000 prompts at once):
    /// on a GPU's limits every one waits its turn and completes; on the CPU's the queue past 256 answers overloaded.
    /// </summary>
    [Theory]
    [InlineData(DeviceKind.Cuda, 0)]
    [InlineData(DeviceKind.Cpu, 999 - 256)]
    public async Task GenerateAsync_ABurstOfAThousand_QueuesOnAGpusLimits(DeviceKind device, int overloaded)
    {
        var options = GpuSchedulerDefaults.Apply(new SchedulerOptions { PrefixCacheMaxBytes = 0 }, device, n => n == "PrefixCacheMaxBytes");
        var (loop, runner, _) = Build(options, slots: options.MaxRunningSequences);
        var (entered, release) = HoldSteps(runner);
        using var _ = entered;
        using var __ = release;
        loop.Start();

        var first = loop.GenerateAsync(Request(RandomPrompt(4), maxTokens: 2), Ct);
        Assert.True(entered.Wait(Patience, Ct));
        var admitted = new List<IAsyncEnumerable<GenerationUpdate>> { first };
        int rejected = 0;
        for (int i = 1; i < 1000; i++)
        {
            try
            {
                admitted.Add(loop.GenerateAsync(Request(RandomPrompt(16), maxTokens: 2), Ct));
            }
            catch (EngineOverloadedException)
            {
                rejected++;
            }
        }

        release.Set();
        var results = await Task.WhenAll(admitted.Select(CollectAsync));
        Assert.Equal(overloaded, rejected);
        Assert.All(results, updates => Assert.Equal(2, updates.Count));
        await loop.StopAsync(Ct);
    }

    [Fact]
    public async Task GenerateAsync_WaitingPromptTokensFull_ThrowsOverloaded()
    {
        var options = new SchedulerOptions { MaxRunningSequences = 1, MaxBatchTokensPerStep = 8, PrefillChunkSize = 8, MaxWaitingPromptTokens = 10, PrefixCacheMaxBytes = 0 };
        var (loop, runner, _) = Build(options, slots: 1);
        var (entered, release) = HoldSteps(runner);
        using var _ = entered;
        using var __ = release;
        loop.Start();

        var running = loop.GenerateAsync(Request(RandomPrompt(10), maxTokens: 1), Ct);
        Assert.True(entered.Wait(Patience, Ct));
        var waiting = loop.GenerateAsync(Request(RandomPrompt(8), maxTokens: 1), Ct);

        Assert.Throws<EngineOverloadedException>(() => loop.GenerateAsync(Request(RandomPrompt(3), maxTokens: 1), Ct));
        var fits = loop.GenerateAsync(Request(RandomPrompt(2), maxTokens: 1), Ct);
        release.Set();
        Assert.Single(await CollectAsync(running));
        Assert.Single(await CollectAsync(waiting));
        Assert.Single(await CollectAsync(fits));
        await loop.StopAsync(Ct);
    }

    [Fact]
    public async Task GenerateAsync_NotStartedOrStopped_ThrowsEngineStopped()
    {
        var (loop, _, _) = Build();
        Assert.Throws<EngineStoppedException>(() => loop.GenerateAsync(Request(RandomPrompt(3)), Ct));

        loop.Start();
        await loop.StopAsync(Ct);

        Assert.Throws<EngineStoppedException>(() => loop.GenerateAsync(Request(RandomPrompt(3)), Ct));
    }

    [Fact]
    public async Task GenerateAsync_Cancelled_ThrowsAndFreesSlot()
    {
        var (loop, _, _) = Build();
        loop.Start();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var updates = loop.GenerateAsync(Request(RandomPrompt(5), maxTokens: int.MaxValue), cts.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in updates.WithCancellation(Ct))
            {
                cts.Cancel();
            }
        });

        WaitUntil(() => loop.Stats.SlotsInUse == 0 && loop.Stats.RunningSequences == 0);
        await loop.StopAsync(Ct);
    }

    [Fact]
    public async Task GenerateAsync_ReaderStopsEarly_FreesSlot()
    {
        var (loop, _, _) = Build();
        loop.Start();

        await foreach (var update in loop.GenerateAsync(Request(RandomPrompt(5), maxTokens: int.MaxValue, n: 2, temperature: 1), Ct))
        {
            break;
        }

        WaitUntil(() => loop.Stats.SlotsInUse == 0);
        await loop.StopAsync(Ct);
    }

    [Fact]
    public async Task GenerateAsync_TimeoutElapses_ThrowsGenerationTimeout()
    {
        var (loop, _, time) = Build();
        loop.Start();
        var updates = loop.GenerateAsync(Request(RandomPrompt(5), maxTokens: int.MaxValue, timeout: TimeSpan.FromSeconds(5)), Ct);

        await Assert.ThrowsAsync<GenerationTimeoutException>(async () =>
        {
            await foreach (var update in updates.WithCancellation(Ct))
            {
                time.Advance(TimeSpan.FromSeconds(6));
            }
        });

        WaitUntil(() => loop.Stats.SlotsInUse == 0);
        await loop.StopAsync(Ct);
    }

    /// <summary>
    /// Running ahead, a request that arrives while a decode batch runs, before the engine decides on the next one (the
    /// runner's tail), is handed to the engine then: nothing runs ahead, and the batch right after prefills it.
    /// </summary>
    [Fact]
    public async Task GenerateAsync_ArrivingBeforeTheRunAheadDecision_IsPrefilledInTheNextBatch()
    {
        var (loop, runner, _) = Build();
        runner.RunsAhead = true;
        int[] first = RandomPrompt(7), second = RandomPrompt(11);
        IAsyncEnumerable<GenerationUpdate>? late = null;
        int endedBefore = -1;
        runner.OnWaitForTail = () =>
        {
            // The engine thread, the batch in flight: a client's request lands in the loop's inbox now.
            if (late is null)
            {
                endedBefore = runner.StepSizes.Count;
                late = loop.GenerateAsync(Request(second, maxTokens: 4), Ct);
            }
        };
        loop.Start();

        var firstUpdates = await CollectAsync(loop.GenerateAsync(Request(first, maxTokens: 40), Ct));
        var secondUpdates = await CollectAsync(late!);
        await loop.StopAsync(Ct);

        var reference = new EngineCoreHarness();
        Assert.Equal(reference.GreedyReference(first, 40), Tokens(firstUpdates));
        Assert.Equal(reference.GreedyReference(second, 4), Tokens(secondUpdates));
        // Batches end in order: the one in flight at the wait is batch endedBefore, and the next prefills the prompt.
        int prefillEntry = runner.Entries.FindIndex(e => e.Length == second.Length);
        int batchOfPrefill = 0;
        for (int seen = runner.StepSizes[0]; seen <= prefillEntry; seen += runner.StepSizes[++batchOfPrefill])
        {
        }

        Assert.Equal(endedBefore + 1, batchOfPrefill);
    }

    [Fact]
    public async Task StopAsync_WithinGracePeriod_LetsInFlightRequestsFinish()
    {
        var (loop, _, _) = Build();
        loop.Start();
        var updates = loop.GenerateAsync(Request(RandomPrompt(5), maxTokens: 300), Ct);
        var enumerator = updates.GetAsyncEnumerator(Ct);
        Assert.True(await enumerator.MoveNextAsync());

        var stopping = loop.StopAsync(Ct);
        var rest = new List<GenerationUpdate>();
        while (await enumerator.MoveNextAsync())
        {
            rest.Add(enumerator.Current);
        }

        await stopping;
        Assert.Equal(299, rest.Count);
        Assert.Equal(FinishReason.Length, rest[^1].Finish);
    }

    [Fact]
    public async Task StopAsync_GracePeriodElapsed_AbortsInFlightRequests()
    {
        var (loop, _, time) = Build();
        loop.Start();
        var updates = loop.GenerateAsync(Request(RandomPrompt(5), maxTokens: int.MaxValue, n: 2, temperature: 1), Ct);
        var enumerator = updates.GetAsyncEnumerator(Ct);
        Assert.True(await enumerator.MoveNextAsync());

        var stopping = loop.StopAsync(Ct);
        Assert.Throws<EngineStoppedException>(() => loop.GenerateAsync(Request(RandomPrompt(3)), Ct));
        time.Advance(new SchedulerOptions().ShutdownGracePeriod + TimeSpan.FromSeconds(1));
        var finishes = new List<FinishReason>();
        while (await enumerator.MoveNextAsync())
        {
            if (enumerator.Current.Finish is { } finish)
            {
                finishes.Add(finish);
            }
        }

        await stopping;
        Assert.Equal([FinishReason.Abort, FinishReason.Abort], finishes);
        Assert.Equal(0, loop.Stats.SlotsInUse);
    }

    [Fact]
    public async Task StopAsync_TokenCancelled_AbortsAtOnce()
    {
        var (loop, _, _) = Build();
        loop.Start();
        var enumerator = loop.GenerateAsync(Request(RandomPrompt(5), maxTokens: int.MaxValue), Ct).GetAsyncEnumerator(Ct);
        Assert.True(await enumerator.MoveNextAsync());

        await loop.StopAsync(new CancellationToken(canceled: true));

        var last = enumerator.Current;
        while (await enumerator.MoveNextAsync())
        {
            last = enumerator.Current;
        }

        Assert.Equal(FinishReason.Abort, last.Finish);
        Assert.Equal(0, loop.Stats.SlotsInUse);
    }
}
