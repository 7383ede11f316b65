using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.State;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Cpu.Tests.Hosting;

/// <summary>
/// The real engine (CPU runner, sampler, detokenizer, scheduler) on the demo model: greedy output against the
/// float64 reference, batch invariance among 63 concurrent requests, and prefix-cache hits giving the same numbers as
/// a full prefill.
/// </summary>
public class ServedModelTests
{
    private static EngineOptions Options(int slots = 64, long prefixCacheBytes = 64L << 20, int prefixInterval = 32) => new(
        new SchedulerOptions { MaxRunningSequences = slots, PrefixCacheMaxBytes = prefixCacheBytes, PrefixCacheInterval = prefixInterval, PrefillChunkSize = 64 },
        new StatePoolOptions { SlotCount = slots });

    private static async Task<(List<int> Tokens, List<TokenLogprob> Logprobs, string Text, FinishReason? Finish)> RunAsync(
        IGenerationEngine engine, IReadOnlyList<int> prompt, SamplingParams sampling, string id)
    {
        var tokens = new List<int>();
        var logprobs = new List<TokenLogprob>();
        var text = "";
        FinishReason? finish = null;
        await foreach (var u in engine.GenerateAsync(new GenerationRequest(id, prompt, sampling), TestContext.Current.CancellationToken))
        {
            tokens.AddRange(u.TokenIds);
            if (u.Logprobs is not null) logprobs.AddRange(u.Logprobs);
            text += u.TextDelta;
            finish = u.Finish ?? finish;
        }
        return (tokens, logprobs, text, finish);
    }

    [Fact]
    public async Task GenerateAsync_GreedyOnDemo_ReproducesReferenceContinuation()
    {
        await using var model = ServedModel.Load(TestPaths.DemoModel, "demo", Options(slots: 4));
        foreach (var c in ReferenceSet.Cases("demo"))
        {
            var expected = c.Tokens[c.PromptLength..];
            var sampling = new SamplingParams { Temperature = 0, MaxTokens = expected.Length };
            var (tokens, _, text, finish) = await RunAsync(model.Engine, c.Tokens[..c.PromptLength], sampling, $"ref-{c.Index}");
            Assert.Equal(expected, tokens);
            Assert.Equal(expected[^1] == model.Config.EosTokenId ? FinishReason.Stop : FinishReason.Length, finish);
            Assert.Equal(model.Tokenizer!.Decode(expected.Where(t => t != model.Config.EosTokenId)), text);
        }
    }

    [Fact]
    public async Task GenerateAsync_GreedyAmong63ConcurrentRequests_IdenticalToAlone()
    {
        var rng = new Random(21);
        await using var model = ServedModel.Load(TestPaths.DemoModel, "demo", Options(prefixCacheBytes: 0));
        var vocab = model.SampleableVocab;
        var target = model.Tokenizer!.Encode("The jury said it was satisfied that the election");
        var greedy = new SamplingParams { Temperature = 0, MaxTokens = 24, IgnoreEos = true };
        var alone = await RunAsync(model.Engine, target, greedy, "alone");

        var others = Enumerable.Range(0, 63).Select(i =>
        {
            var prompt = Enumerable.Range(0, rng.Next(1, 200)).Select(_ => rng.Next(2, vocab)).ToArray();
            var sampling = new SamplingParams { Temperature = i % 2 == 0 ? 0 : 0.9f, Seed = i, MaxTokens = rng.Next(1, 40) };
            return RunAsync(model.Engine, prompt, sampling, $"other-{i}");
        }).ToList();
        var together = RunAsync(model.Engine, target, greedy, "together");
        await Task.WhenAll(others);
        var concurrent = await together;

        Assert.Equal(alone.Tokens, concurrent.Tokens);
        Assert.Equal(alone.Text, concurrent.Text);
    }

    [Fact]
    public async Task GenerateAsync_AfterPrefixCacheHit_MatchesFullPrefill()
    {
        var rng = new Random(22);
        var shared = Enumerable.Range(0, 150).Select(_ => rng.Next(2, 8000)).ToArray();
        var first = shared.Concat([17, 18, 19]).ToArray();
        var second = shared.Concat([40, 41, 42, 43, 44]).ToArray();
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = 8, IgnoreEos = true, Logprobs = 5 };

        await using var cached = ServedModel.Load(TestPaths.DemoModel, "demo", Options(slots: 2));
        await RunAsync(cached.Engine, first, sampling, "warm");
        var hit = await RunAsync(cached.Engine, second, sampling, "hit");
        Assert.True(cached.Stats.PrefixCacheHits >= 1, $"expected a prefix-cache hit, stats: {cached.Stats}");

        await using var uncached = ServedModel.Load(TestPaths.DemoModel, "demo", Options(slots: 2, prefixCacheBytes: 0));
        var full = await RunAsync(uncached.Engine, second, sampling, "full");
        Assert.Equal(0, uncached.Stats.PrefixCacheHits);

        Assert.Equal(full.Tokens, hit.Tokens);
        Assert.Equal(full.Logprobs.Count, hit.Logprobs.Count);
        for (var i = 0; i < full.Logprobs.Count; i++)
        {
            // Different chunk boundaries change only how rows are grouped into matrix products: float32 noise.
            Assert.InRange(hit.Logprobs[i].Logprob!.Value, full.Logprobs[i].Logprob!.Value - 1e-4f, full.Logprobs[i].Logprob!.Value + 1e-4f);
            Assert.Equal(full.Logprobs[i].Top.Select(t => t.TokenId), hit.Logprobs[i].Top.Select(t => t.TokenId));
        }
    }

    [Fact]
    public async Task GenerateAsync_MinTokensWithTheGreedyFirstTokenAsStopToken_BansItAndReportsRawLogprobs()
    {
        await using var model = ServedModel.Load(TestPaths.DemoModel, "demo", Options(slots: 2, prefixCacheBytes: 0));
        var prompt = model.Tokenizer!.Encode("The jury said it was satisfied that the election");
        var probe = await RunAsync(model.Engine, prompt, new SamplingParams { Temperature = 0, MaxTokens = 1, Logprobs = 3 }, "probe");
        int stop = probe.Tokens[0];
        var control = await RunAsync(model.Engine, prompt, new SamplingParams { Temperature = 0, MaxTokens = 12, StopTokenIds = [stop] }, "control");
        Assert.Equal([stop], control.Tokens);
        Assert.Equal(FinishReason.Stop, control.Finish);

        var sampling = new SamplingParams { Temperature = 0, MaxTokens = 12, StopTokenIds = [stop], MinTokens = 4, Logprobs = 3 };
        var (tokens, logprobs, _, finish) = await RunAsync(model.Engine, prompt, sampling, "min");

        Assert.True(tokens.Count >= 4, $"only {tokens.Count} tokens");
        int?[] bans = [stop, model.Config.EosTokenId];
        Assert.All(tokens.Take(4), t => Assert.DoesNotContain(t, bans));
        Assert.Equal(tokens[^1] == stop || tokens[^1] == model.Config.EosTokenId ? FinishReason.Stop : FinishReason.Length, finish);
        // Greedy takes the likeliest token not banned; the banned one is still reported first, with its raw logprob.
        Assert.Equal(probe.Logprobs[0].Top.Select(t => t.TokenId).First(id => !bans.Contains(id)), tokens[0]);
        Assert.Equal(stop, logprobs[0].Top[0].TokenId);
        Assert.Equal(probe.Logprobs[0].Top[0].Logprob, logprobs[0].Top[0].Logprob, 5);
        Assert.All(logprobs, lp => Assert.True(float.IsFinite(lp.Logprob!.Value) && lp.Top.All(t => float.IsFinite(t.Logprob))));
    }

    [Fact]
    public async Task GenerateAsync_MinTokensWithAStopStringInTheFirstTokens_CutsOnlyWhereAMatchEndsLater()
    {
        const int MinTokens = 6;
        await using var model = ServedModel.Load(TestPaths.DemoModel, "demo", Options(slots: 2, prefixCacheBytes: 0));
        var tokenizer = model.Tokenizer!;
        var prompt = tokenizer.Encode("Once upon a time there was a little");
        var full = await RunAsync(model.Engine, prompt, new SamplingParams { Temperature = 0, MaxTokens = 24, IgnoreEos = true }, "full");
        Assert.DoesNotContain(model.Config.EosTokenId, full.Tokens.Take(MinTokens).Cast<int?>()); // min_tokens bans it: the runs would part
        string stop = tokenizer.Decode([full.Tokens[1]]);
        var control = await RunAsync(model.Engine, prompt, new SamplingParams { Temperature = 0, MaxTokens = 24, IgnoreEos = true, Stop = [stop] }, "control");
        Assert.Equal(full.Text[..full.Text.IndexOf(stop, StringComparison.Ordinal)], control.Text);

        var sampling = new SamplingParams { Temperature = 0, MaxTokens = 24, IgnoreEos = true, Stop = [stop], MinTokens = MinTokens };
        var run = await RunAsync(model.Engine, prompt, sampling, "min");

        // A match must end in the text of token MinTokens + 1 or later (it may begin earlier, as vLLM looks back).
        int unmatchable = tokenizer.Decode(full.Tokens.Take(MinTokens)).Length;
        int cut = full.Text.IndexOf(stop, Math.Max(0, unmatchable - stop.Length + 1), StringComparison.Ordinal);
        Assert.Equal(cut < 0 ? full.Text : full.Text[..cut], run.Text);
        Assert.Equal(cut < 0 ? FinishReason.Length : FinishReason.Stop, run.Finish);
        Assert.True(run.Tokens.Count > MinTokens, $"{run.Tokens.Count} tokens");
        Assert.True(run.Text.Length > control.Text.Length, $"'{run.Text}' vs '{control.Text}'");
    }

    [Fact]
    public async Task Load_WithAResolvedBackend_BuildsItsRunnerWithoutProbingAgain()
    {
        var backend = new CountingBackend(RunnerBackends.Resolve(DeviceKind.Cpu));

        await using var model = ServedModel.Load(TestPaths.DemoModel, "demo", Options(slots: 2), backend: backend);

        Assert.Equal((0, 1), (backend.Probes, backend.Runners));
        Assert.Equal(DeviceKind.Cpu, model.Device.Kind);
    }

    private sealed class CountingBackend(IRunnerBackend inner) : IRunnerBackend
    {
        public int Probes { get; private set; }
        public int Runners { get; private set; }
        public DeviceKind Kind => inner.Kind;

        public string? WhyUnavailable()
        {
            Probes++;
            return inner.WhyUnavailable();
        }

        public IModelRunner CreateRunner(RunnerOptions options)
        {
            Runners++;
            return inner.CreateRunner(options);
        }
    }
}
