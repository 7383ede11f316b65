using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>
/// A scripted <see cref="IGenerationEngine"/>: sample s of a request emits <see cref="Script"/>'s tokens shifted by s,
/// one update per step, with logprobs and prompt logprobs when asked. It can hold after the first update until
/// <see cref="ReleaseAfterFirst"/> (streaming tests), refuse admission (429), and records requests and aborts.
/// </summary>
public sealed class FakeEngine(MambaTokenizer? tokenizer) : IGenerationEngine
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstSent = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Token ids each sample produces (before its own shift), cut at MaxTokens; fresh per test.</summary>
    public IReadOnlyList<int> Script { get; init; } = Enumerable.Range(0, 32).Select(_ => Random.Shared.Next(300, 8000)).ToList();

    /// <summary>
    /// When set, the tokens a request's samples produce, chosen by its prompt (in place of <see cref="Script"/>): a tool
    /// loop's client sends several requests, and the answer to each depends on what it carries (a call, then its result).
    /// </summary>
    public Func<IReadOnlyList<int>, IReadOnlyList<int>>? ScriptFor { get; init; }

    /// <summary>When set, finishing early with Stop after this many tokens instead of Length.</summary>
    public int? StopAfter { get; init; }

    public bool HoldAfterFirst { get; init; }

    /// <summary>Wall time each step takes (default none), so that messages sent meanwhile meet the request running.</summary>
    public TimeSpan StepDelay { get; init; }

    /// <summary>Fail the request (as a runner error would) after the first step's updates.</summary>
    public bool FailAfterFirst { get; init; }

    public bool Overloaded { get; set; }

    public ConcurrentQueue<GenerationRequest> Requests { get; } = new();

    public int CompletedRequests;

    /// <summary>Snapshots handed to state sinks and not disposed yet: what a leaked reference would keep alive.</summary>
    public int LiveSnapshots;

    public Task Aborted => _aborted.Task;

    public Task FirstUpdateSent => _firstSent.Task;

    public void ReleaseAfterFirst() => _release.TrySetResult();

    /// <summary>The tokens sample <paramref name="sample"/> emits for <paramref name="maxTokens"/>.</summary>
    public IReadOnlyList<int> TokensOf(int sample, int maxTokens) => TokensOf(Script, sample, maxTokens);

    private IReadOnlyList<int> TokensOf(IReadOnlyList<int> script, int sample, int maxTokens) =>
        script.Take(StopAfter is { } stop ? Math.Min(stop, maxTokens) : maxTokens).Select(t => t + sample).ToList();

    public string TextOf(IEnumerable<int> tokens) =>
        tokenizer is null ? string.Concat(tokens.Select(t => $"<{t}>")) : string.Concat(tokens.Select(t => tokenizer.Decode([t])));

    public IAsyncEnumerable<GenerationUpdate> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        if (Overloaded)
        {
            throw new EngineOverloadedException("The waiting queue is full.");
        }

        Requests.Enqueue(request);
        request.Start?.Release(); // a scripted engine has no state to restore into
        return RunAsync(request, cancellationToken);
    }

    private async IAsyncEnumerable<GenerationUpdate> RunAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        bool done = false;
        try
        {
            var prompt = request.Sampling.PromptLogprobs is { } topPrompt ? PromptLogprobs(request.PromptTokens, topPrompt) : null;
            int max = request.Sampling.MaxTokens;
            if (max == 0)
            {
                // As the engine does for scoring and warm-ups: no token, the prompt's state saved when asked, the
                // prompt logprobs and a length finish per sample.
                request.SaveState?.Save(new SavedState(new FakeSnapshot(this), null), null!);
                for (int s = 0; s < request.N; s++)
                {
                    yield return new GenerationUpdate(s, [], string.Empty, null, FinishReason.Length, new GenerationUsage(request.PromptTokens.Count, 0), prompt);
                }
            }

            var script = ScriptFor?.Invoke(request.PromptTokens) ?? Script;
            var perSample = Enumerable.Range(0, request.N).Select(s => TokensOf(script, s, max)).ToList();
            var ended = new bool[request.N];
            for (int step = 0; step < perSample.Max(t => t.Count); step++)
            {
                for (int s = 0; s < request.N; s++)
                {
                    ct.ThrowIfCancellationRequested();
                    var tokens = perSample[s];
                    if (step >= tokens.Count || ended[s])
                    {
                        continue;
                    }

                    // A wrap-up ends the sample here by length, as the engine does at its next token.
                    bool wrapped = request.WrapUp.IsCancellationRequested && step < tokens.Count - 1;
                    bool last = step == tokens.Count - 1 || wrapped;
                    FinishReason? finish = !last ? null : wrapped || tokens.Count == max ? FinishReason.Length : FinishReason.Stop;
                    ended[s] = last;
                    int id = tokens[step];
                    if (finish is not null && request.SaveState is { } sink)
                    {
                        sink.Save(new SavedState(new FakeSnapshot(this), finish == FinishReason.Length ? id : null), null!);
                    }

                    yield return new GenerationUpdate(
                        s, [id], TextOf([id]),
                        request.Sampling.Logprobs is { } top ? [Logprob(id, top)] : null,
                        finish,
                        last ? new GenerationUsage(request.PromptTokens.Count, step + 1) : null,
                        step == 0 ? prompt : null);
                }

                await Task.Yield();
                if (StepDelay > TimeSpan.Zero)
                {
                    await Task.Delay(StepDelay, ct);
                }

                if (step == 0)
                {
                    _firstSent.TrySetResult();
                    if (FailAfterFirst)
                    {
                        done = true;
                        throw new GenerationFailedException("The runner failed.", new InvalidOperationException("boom"));
                    }

                    if (HoldAfterFirst)
                    {
                        await _release.Task.WaitAsync(ct);
                    }
                }
            }

            done = true;
            Interlocked.Increment(ref CompletedRequests);
        }
        finally
        {
            if (!done)
            {
                _aborted.TrySetResult();
            }
        }
    }

    private sealed class FakeSnapshot : MambaServe.Engine.Backends.IStateSnapshot
    {
        private readonly FakeEngine _engine;
        private int _disposed;

        public FakeSnapshot(FakeEngine engine)
        {
            _engine = engine;
            Interlocked.Increment(ref engine.LiveSnapshots);
        }

        public long SizeInBytes => 1024;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref _engine.LiveSnapshots);
            }
        }
    }

    // Logprobs derived from the id so that tests can recompute them: -(id % 7) - 0.5, alternatives below it.
    public static float LogprobOf(int id) => -(id % 7) - 0.5f;

    private static TokenLogprob Logprob(int id, int top) =>
        new(id, LogprobOf(id), Enumerable.Range(0, top).Select(k => (id + 1 + k, LogprobOf(id) - 1 - k)).ToList());

    // A scored prompt token's rank, derived from the id as its logprob is: 1 + id % 3.
    public static int RankOf(int id) => 1 + id % 3;

    private static List<TokenLogprob> PromptLogprobs(IReadOnlyList<int> prompt, int top) =>
        prompt.Select((id, i) => i == 0 ? new TokenLogprob(id, null, []) : Logprob(id, top) with { Rank = RankOf(id) }).ToList();
}
