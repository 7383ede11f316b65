using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Gpu;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.State;
using MambaServe.Engine.Tests.Infrastructure;
using MambaServe.Gpu.Tests.Infrastructure;

namespace MambaServe.Gpu.Tests;

/// <summary>
/// The engine on the GPU: the demo model's greedy output in fp32 mode is the CPU engine's (the committed fixture,
/// which a CPU test keeps true), and batched decode equals decoding alone.
/// </summary>
[Trait("Category", "Gpu")]
public sealed class GpuEngineTests
{
    [Fact]
    public async Task Engine_Fp32GreedyOnDemo_EqualsTheCpuEngine()
    {
        var fixture = GreedyFixture.Load();
        using var runner = GpuRunners.Create(TestPaths.DemoModel, 8, ModelDType.Float32);
        await using var loop = new EngineLoop(runner, new SchedulerOptions { MaxRunningSequences = 8 }, new PromptScorer(runner.Config.UnpaddedVocabSize),
            new DetokenizingTextStreamFactory(null));
        loop.Start();

        var ids = await GreedyFixture.RunAsync(loop, [.. fixture.Cases.Select(c => c.PromptIds)], fixture.MaxTokens, TestContext.Current.CancellationToken);

        for (int i = 0; i < ids.Length; i++)
        {
            Assert.True(fixture.Cases[i].GreedyIds.SequenceEqual(ids[i]),
                $"'{fixture.Cases[i].Prompt}': GPU [{string.Join(", ", ids[i])}], CPU engine [{string.Join(", ", fixture.Cases[i].GreedyIds)}]");
        }
    }

    /// <summary>
    /// fp32 weights take the same fused kernels at two rows as at one on every device, so they are exact; 12 fp32 rows
    /// take the BLAS path against the fused one, within 1e-3 of each other. With bf16 weights an sm_90 device runs two
    /// rows on the tensor-core GEMM and 40 on cuBLAS's (bf16 activations between the products), one row on the fused
    /// GEMVs: two paths that each keep within the bf16 bound of the float64 reference (3e-2 relative L2, the fixture
    /// tests), so that bound holds between them too (a max-abs bound does not: a few logits of a row move by a tenth
    /// or more). A row's bits do not depend on the batch within one path (the native ModelGpuExact and ModelGpuMma
    /// tests).
    /// </summary>
    [Theory]
    [InlineData(ModelDType.Float32, StateDType.Float32, 12, 1e-3f, 0f)]
    [InlineData(ModelDType.Float32, StateDType.Float32, 2, 0f, 0f)]
    [InlineData(ModelDType.BFloat16, StateDType.Float32, 2, float.PositiveInfinity, 3e-2f)]
    [InlineData(ModelDType.BFloat16, StateDType.BFloat16, 2, float.PositiveInfinity, 3e-2f)]
    [InlineData(ModelDType.BFloat16, StateDType.Float32, 40, float.PositiveInfinity, 3e-2f)]
    public void Decode_Batched_EqualsEachSequenceAlone(ModelDType dtype, StateDType state, int batch, float maxAbs, float relativeL2)
    {
        var rng = new Random(batch);
        using var together = GpuRunners.Create(TestPaths.DemoModel, batch, dtype, state);
        using var alone = GpuRunners.Create(TestPaths.DemoModel, batch, dtype, state);
        int vocab = together.Config.UnpaddedVocabSize;
        var greedy = Enumerable.Range(0, batch).Select(_ => new SequenceSampling(new SamplingParams { Temperature = 0 }, 0, [1])).ToArray();
        var tokens = new int[batch];
        for (int s = 0; s < batch; s++)
        {
            int[] prompt = [.. Enumerable.Range(0, rng.Next(1, 40)).Select(_ => rng.Next(vocab))];
            together.Prefill(s, prompt);
            alone.Prefill(s, prompt);
            tokens[s] = rng.Next(vocab);
        }

        for (int step = 0; step < 6; step++)
        {
            var all = new StepBatch();
            for (int s = 0; s < batch; s++)
            {
                all.AddToken(s, tokens[s], allLogits: true).AddSample(s, greedy[s]);
            }

            together.Step(all);
            for (int s = 0; s < batch; s++)
            {
                var one = new StepBatch();
                var entry = one.AddToken(s, tokens[s], allLogits: true);
                entry.AddSample(s, greedy[s]);
                alone.Step(one);
                var batched = all.Entries[s];
                var (worst, _, relative) = RowDifference.Of(entry.Logits.Span, batched.Logits.Span);
                Assert.True(worst <= maxAbs, $"step {step}, sequence {s} of {batch}: logits differ by {worst} (bound {maxAbs})");
                Assert.True(relative <= relativeL2 || relativeL2 == 0, $"step {step}, sequence {s} of {batch}: relative L2 {relative:G4} > {relativeL2}");
                if (maxAbs < 0.01f)
                {
                    Assert.Equal(entry.Samples[0].Chosen!.Value.TokenId, batched.Samples[0].Chosen!.Value.TokenId);
                }

                tokens[s] = batched.Samples[0].Chosen!.Value.TokenId;
            }
        }
    }

    /// <summary>
    /// The engine running ahead on the device (each decode step begun before the last one ended, its tokens read from
    /// that one's outputs on the device) gives every request the tokens of steps in turn. The requests all start in the
    /// first step and end by max_tokens only, so both ways run the same rows in every step (a stop token would leave
    /// its row in the step begun ahead, a batch of another size, whose products may take another kernel).
    /// </summary>
    [Theory]
    [InlineData(ModelDType.BFloat16, StateDType.BFloat16)]
    [InlineData(ModelDType.Float32, StateDType.Float32)]
    public void Engine_RunningAhead_EveryRequestGetsTheTokensOfStepsInTurn(ModelDType dtype, StateDType state)
    {
        var prompts = GreedyFixture.Load().Cases.Select(c => c.PromptIds).ToArray();
        SamplingParams[] samplings =
        [
            new() { Temperature = 0, MaxTokens = 40, IgnoreEos = true },
            new() { Temperature = 0.8f, TopP = 0.9f, Seed = 11, MaxTokens = 25, IgnoreEos = true, Logprobs = 3 },
            new() { Temperature = 1.1f, TopK = 20, FrequencyPenalty = 0.4f, Seed = 12, MaxTokens = 33, IgnoreEos = true },
            new() { Temperature = 0, RepetitionPenalty = 1.3f, MaxTokens = 18, IgnoreEos = true },
        ];

        List<string> Serve(bool runAhead)
        {
            using var runner = GpuRunners.Create(TestPaths.DemoModel, 12, dtype, state);
            ((GpuModelRunner)runner).RunsAhead = runAhead;
            var core = Core(runner, new SchedulerOptions { MaxRunningSequences = 12, MaxBatchTokensPerStep = 4096 });
            var groups = Enumerable.Range(0, 10).Select(i =>
            {
                var request = new GenerationRequest($"r{i}", prompts[i % prompts.Length], samplings[i % samplings.Length], N: i == 5 ? 2 : 1);
                var group = new SequenceGroup(request, i, null, 100 + i);
                core.Submit(group);
                return group;
            }).ToList();
            while (core.HasWork)
            {
                core.Step();
            }

            return groups.Select(g =>
            {
                var tokens = new SortedDictionary<int, List<string>>();
                while (g.Updates.Reader.TryRead(out var u))
                {
                    var list = tokens.TryGetValue(u.SampleIndex, out var l) ? l : tokens[u.SampleIndex] = [];
                    list.AddRange(u.TokenIds.Select(t => $"{t}"));
                    list.AddRange((u.Logprobs ?? []).Select(l => $"{l.Logprob:R}"));
                }

                return string.Join(" | ", tokens.Select(kv => $"{kv.Key}: {string.Join(",", kv.Value)}"));
            }).ToList();
        }

        Assert.Equal(Serve(runAhead: false), Serve(runAhead: true));
    }

    /// <summary>
    /// The next turn of a conversation, resent whole, restores the state the first answer finished with (the prefix
    /// cache's end entry, taken with no batch in flight) and answers as a prefill of the whole conversation does, in
    /// turn and running ahead. Ended by a stop token, which the next turn does not resend (the default template does not
    /// render EOS), the state is the one before it: running ahead, the batch begun before the stop was known held that
    /// row back on the device. fp32 weights: the decoded state and the prefilled one agree to rounding.
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Engine_NextTurnOnTheStateAnAnswerEndedWith_AnswersAsAFullPrefill(bool runAhead, bool byStopToken)
    {
        int[] prompt = GreedyFixture.Load().Cases[0].PromptIds;
        using var fresh = GpuRunners.Create(TestPaths.DemoModel, 4, ModelDType.Float32);
        var uncached = Core(fresh, new SchedulerOptions { MaxRunningSequences = 4, PrefixCacheMaxBytes = 0 });
        var (greedy, stop, sampling) = FirstAnswer(uncached, prompt, byStopToken);
        using var runner = GpuRunners.Create(TestPaths.DemoModel, 4, ModelDType.Float32);
        ((GpuModelRunner)runner).RunsAhead = runAhead;
        var core = Core(runner, new SchedulerOptions { MaxRunningSequences = 4, PrefixCacheInterval = 16 });
        var answer = Generate(core, prompt, sampling).Tokens;
        Assert.Equal(greedy[..(stop + 1)], answer);

        int[] next = [.. prompt, .. byStopToken ? answer[..^1] : answer, .. prompt[..5]];
        var (tokens, cached) = Generate(core, next, new SamplingParams { Temperature = 0, MaxTokens = 12, IgnoreEos = true });

        Assert.Equal(prompt.Length + stop, cached);
        Assert.Equal(Generate(uncached, next, new SamplingParams { Temperature = 0, MaxTokens = 12, IgnoreEos = true }).Tokens, tokens);
    }

    /// <summary>
    /// The Responses API's saved state, on a GPU running ahead (such rows ran in turn until now): the next turn started
    /// from it, with its pending token fed first, answers as a prefill of the whole conversation does. Ended by a stop
    /// token, the state is the one before it (held back on the device); ended by length, the last token is pending.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Engine_SavedStateOfAnAnswerRunAhead_ResumesAsAFullPrefill(bool byStopToken)
    {
        int[] prompt = GreedyFixture.Load().Cases[0].PromptIds;
        using var fresh = GpuRunners.Create(TestPaths.DemoModel, 4, ModelDType.Float32);
        var uncached = Core(fresh, new SchedulerOptions { MaxRunningSequences = 4, PrefixCacheMaxBytes = 0 });
        var (greedy, stop, sampling) = FirstAnswer(uncached, prompt, byStopToken);
        using var runner = GpuRunners.Create(TestPaths.DemoModel, 4, ModelDType.Float32);
        ((GpuModelRunner)runner).RunsAhead = true;
        var core = Core(runner, new SchedulerOptions { MaxRunningSequences = 4, PrefixCacheMaxBytes = 0 });
        var sink = new KeptState();
        var answer = Generate(core, new GenerationRequest("first", prompt, sampling, SaveState: sink)).Tokens;
        Assert.Equal(greedy[..(stop + 1)], answer);
        Assert.True(core.Stats.StepsBegunAhead > 0, "no step ran ahead");
        Assert.Equal(byStopToken ? null : answer[^1], sink.Saved!.PendingToken);

        var resume = new SamplingParams { Temperature = 0, MaxTokens = 12, IgnoreEos = true };
        int[] newTokens = [.. sink.Saved.PendingToken is { } pending ? [pending] : Array.Empty<int>(), .. prompt[..5]];
        var tokens = Generate(core, new GenerationRequest("next", newTokens, resume, Start: new SnapshotStart(sink.Saved.Snapshot))).Tokens;

        int[] whole = [.. prompt, .. byStopToken ? answer[..^1] : answer, .. prompt[..5]];
        Assert.Equal(Generate(uncached, whole, resume).Tokens, tokens);
        sink.Saved.Snapshot.Dispose();
    }

    /// <summary>
    /// A first answer's sampling, from the uncached engine's greedy continuation: ended by a stop token (the first
    /// greedy token from the fifth on that the answer has not drawn before, so it stops there) or by max_tokens at the
    /// same length.
    /// </summary>
    private static (int[] Greedy, int Stop, SamplingParams Sampling) FirstAnswer(EngineCore uncached, int[] prompt, bool byStopToken)
    {
        var greedy = Generate(uncached, prompt, new SamplingParams { Temperature = 0, MaxTokens = 20, IgnoreEos = true }).Tokens;
        int stop = Enumerable.Range(4, 16).First(i => !greedy[..i].Contains(greedy[i]));
        var sampling = byStopToken
            ? new SamplingParams { Temperature = 0, MaxTokens = 20, IgnoreEos = true, StopTokenIds = [greedy[stop]] }
            : new SamplingParams { Temperature = 0, MaxTokens = stop + 1, IgnoreEos = true };
        return (greedy, stop, sampling);
    }

    private sealed class KeptState : IStateSink
    {
        public SavedState? Saved { get; private set; }

        public void Save(SavedState state, IModelRunner runner) => Saved = state;
    }

    private sealed class SnapshotStart(IStateSnapshot snapshot) : InitialState
    {
        public override void RestoreInto(IModelRunner runner, int slot) => runner.Restore(slot, snapshot);

        public override void Release()
        {
        }
    }

    private static EngineCore Core(IModelRunner runner, SchedulerOptions options) =>
        new(runner, options, new PromptScorer(runner.Config.UnpaddedVocabSize), new DetokenizingTextStreamFactory(null), TimeProvider.System);

    /// <summary>One request served to its end: its tokens and the prompt tokens it restored from the prefix cache.</summary>
    private static (int[] Tokens, int Cached) Generate(EngineCore core, int[] prompt, SamplingParams sampling) =>
        Generate(core, new GenerationRequest(Guid.NewGuid().ToString("N"), prompt, sampling));

    private static (int[] Tokens, int Cached) Generate(EngineCore core, GenerationRequest request)
    {
        var group = new SequenceGroup(request, 0, null, 1);
        core.Submit(group);
        while (core.HasWork)
        {
            core.Step();
        }

        var tokens = new List<int>();
        int cached = -1;
        while (group.Updates.Reader.TryRead(out var update))
        {
            tokens.AddRange(update.TokenIds);
            cached = update.Usage?.CachedPromptTokens ?? cached;
        }

        return ([.. tokens], cached);
    }

    /// <summary>
    /// The bench samples the device's memory on a side thread while the engine steps (its peak device memory): the
    /// query goes through the model from that thread, so each sample must name the runner's device (the same total),
    /// with the model and its pool counted as used, while prompts run on the test thread.
    /// </summary>
    [Fact]
    public async Task QueryMemory_FromASideThreadWhileStepping_ReportsTheDevice()
    {
        using var runner = GpuRunners.Create(TestPaths.DemoModel, 8, ModelDType.BFloat16);
        var device = Assert.IsAssignableFrom<IDeviceMemory>(runner);
        var before = device.QueryMemory();
        Assert.True(before.FreeBytes > 0 && before.FreeBytes < before.TotalBytes, $"free {before.FreeBytes} of {before.TotalBytes}");
        var samples = new List<DeviceMemory>();
        using var stop = new CancellationTokenSource();
        var side = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                samples.Add(device.QueryMemory());
            }
        }, TestContext.Current.CancellationToken);

        var rng = new Random(5);
        for (int s = 0; s < 8; s++)
        {
            runner.Prefill(s, [.. Enumerable.Range(0, 64).Select(_ => rng.Next(runner.Config.UnpaddedVocabSize))]);
        }

        stop.Cancel();
        await side;
        Assert.NotEmpty(samples);
        Assert.All(samples, m =>
        {
            Assert.Equal(before.TotalBytes, m.TotalBytes);
            Assert.InRange(m.FreeBytes, 1, m.TotalBytes - 1);
        });
    }
}
