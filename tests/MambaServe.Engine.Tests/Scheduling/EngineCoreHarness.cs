using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace MambaServe.Engine.Tests.Scheduling;

/// <summary>Drives an <see cref="EngineCore"/> step by step over the fake runner, chooser and text stream.</summary>
internal sealed class EngineCoreHarness
{
    private long _arrivals;

    public EngineCoreHarness(SchedulerOptions? options = null, int slots = 8, int width = 50, int? eosTokenId = null)
    {
        Options = options ?? new SchedulerOptions { MaxRunningSequences = slots, MaxBatchTokensPerStep = 64, PrefillChunkSize = 16, PrefixCacheInterval = 4, PrefixCacheMaxBytes = 0 };
        Runner = new FakeModelRunner(slots, width, eosTokenId, choosers: Choosers);
        Gate = new AdmissionGate(Options.MaxWaitingRequests, Options.MaxWaitingPromptTokens);
        Core = new EngineCore(Runner, Options, Choosers, new FakeTextStreamFactory(), Time, Gate);
    }

    public SchedulerOptions Options { get; }

    public FakeModelRunner Runner { get; }

    public FakeTokenChooserFactory Choosers { get; } = new();

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UnixEpoch.AddDays(Random.Shared.Next(1, 10_000)));

    public AdmissionGate Gate { get; }

    public EngineCore Core { get; }

    public static int[] RandomPrompt(int length, int width = 50) =>
        Enumerable.Range(0, length).Select(_ => Random.Shared.Next(width)).ToArray();

    public static GenerationRequest Request(
        int[] prompt, int maxTokens = 8, int priority = 0, int n = 1, float temperature = 0, long? seed = null,
        TimeSpan? timeout = null, IReadOnlyList<string>? stop = null, IReadOnlyList<int>? stopTokenIds = null,
        int? logprobs = null, int? promptLogprobs = null, int minTokens = 0, bool ignoreEos = false) =>
        new(
            Guid.NewGuid().ToString("N"),
            prompt,
            new SamplingParams
            {
                MaxTokens = maxTokens,
                MinTokens = minTokens,
                IgnoreEos = ignoreEos,
                Temperature = temperature,
                Seed = seed,
                Stop = stop ?? [],
                StopTokenIds = stopTokenIds ?? [],
                Logprobs = logprobs,
                PromptLogprobs = promptLogprobs,
            },
            n,
            priority,
            timeout);

    public SequenceGroup Submit(GenerationRequest request)
    {
        Gate.Enter(request.PromptTokens.Count);
        DateTimeOffset? deadline = request.Timeout is { } t ? Time.GetUtcNow() + t : null;
        var group = new SequenceGroup(request, ++_arrivals, deadline, request.Sampling.Seed ?? 7);
        Core.Submit(group);
        return group;
    }

    /// <summary>Steps until no request is left; returns the number of steps.</summary>
    public int RunUntilIdle(int maxSteps = 100_000)
    {
        int steps = 0;
        while (Core.HasWork)
        {
            Core.Step();
            if (++steps > maxSteps)
            {
                throw new InvalidOperationException("The engine did not go idle.");
            }
        }

        return steps;
    }

    public static List<GenerationUpdate> Drain(SequenceGroup group)
    {
        var updates = new List<GenerationUpdate>();
        while (group.Updates.Reader.TryRead(out var update))
        {
            updates.Add(update);
        }

        return updates;
    }

    /// <summary>Tokens of one sample, in order.</summary>
    public static int[] Tokens(IEnumerable<GenerationUpdate> updates, int sample = 0) =>
        updates.Where(u => u.SampleIndex == sample).SelectMany(u => u.TokenIds).ToArray();

    /// <summary>
    /// The exception the request's stream ended with, or null when it completed normally or is still open. Discards
    /// unread updates (a channel completes only once drained).
    /// </summary>
    public static Exception? Error(SequenceGroup group)
    {
        Drain(group);
        var completion = group.Updates.Reader.Completion;
        return completion.IsFaulted ? completion.Exception!.InnerException : null;
    }

    /// <summary>
    /// The first index from <paramref name="from"/> on whose token does not occur earlier in <paramref name="tokens"/>:
    /// as a stop token id, it ends the sequence there and nowhere before.
    /// </summary>
    public static int FirstNewToken(int[] tokens, int from) =>
        Enumerable.Range(from, tokens.Length - from).First(i => !tokens[..i].Contains(tokens[i]));

    /// <summary>The greedy continuation of <paramref name="prompt"/> computed straight from the fake model.</summary>
    /// <param name="bannedFirst">Ids the first <paramref name="banFor"/> tokens may not be (min_tokens' bans).</param>
    public int[] GreedyReference(int[] prompt, int maxTokens, IReadOnlyList<int>? bannedFirst = null, int banFor = 0)
    {
        var seen = prompt.ToList();
        var output = new List<int>();
        for (int i = 0; i < maxTokens; i++)
        {
            var row = Runner.LogitsAfter(seen.ToArray());
            if (i < banFor)
            {
                foreach (int id in bannedFirst!)
                {
                    row[id] = float.NegativeInfinity;
                }
            }

            int next = FakeTokenChooserFactory.ArgMax(row);
            output.Add(next);
            seen.Add(next);
        }

        return output.ToArray();
    }
}
