using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Tests.Scheduling;

public sealed class UpdateOutboxTests
{
    private static readonly SamplingParams Sampling = new() { MaxTokens = 100 };

    private static SequenceGroup Group(int id) => new(new GenerationRequest($"r{id}", [1, 2], Sampling), id, null, id);

    private static GenerationUpdate Update(int token) => new(0, [token], $"<{token}>");

    private static async Task<(List<int> Tokens, Exception? Error)> ReadAllAsync(SequenceGroup group)
    {
        var tokens = new List<int>();
        try
        {
            await foreach (var update in group.Updates.Reader.ReadAllAsync(TestContext.Current.CancellationToken))
            {
                tokens.AddRange(update.TokenIds);
            }

            return (tokens, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (tokens, ex);
        }
    }

    [Fact]
    public async Task Background_InterleavedGroups_EachChannelGetsItsUpdatesInOrderThenItsCompletion()
    {
        var groups = Enumerable.Range(0, 8).Select(Group).ToArray();
        var posted = groups.Select(_ => new List<int>()).ToArray();
        var failure = new InvalidOperationException("failed");
        var random = new Random(7);
        using (var outbox = UpdateOutbox.Background())
        {
            outbox.Start();
            for (int token = 0; token < 2000; token++)
            {
                int g = random.Next(groups.Length);
                outbox.Write(groups[g], Update(token));
                posted[g].Add(token);
            }

            for (int g = 0; g < groups.Length; g++)
            {
                outbox.Complete(groups[g], g % 3 == 0 ? failure : null);
            }
        }

        for (int g = 0; g < groups.Length; g++)
        {
            var (tokens, error) = await ReadAllAsync(groups[g]);
            Assert.Equal(posted[g], tokens);
            Assert.Same(g % 3 == 0 ? failure : null, error);
        }
    }

    [Fact]
    public void WriteToken_Background_TextMadeOnTheOutboxThreadAndFlushedAtTheFinish()
    {
        var texts = new RecordingTexts();
        var group = Group(1);
        var sample = new SampleState(group, 0) { Text = texts.Create(Sampling) };
        using (var outbox = UpdateOutbox.Background())
        {
            outbox.Start();
            outbox.WriteToken(sample, new TokenUpdate(new ChosenToken(5, -0.5f, []), false, null, null, true, null));
            outbox.WriteToken(sample, new TokenUpdate(new ChosenToken(6, -0.25f, []), false, FinishReason.Length, new GenerationUsage(2, 2), false, null));
        }

        Assert.True(group.Updates.Reader.TryRead(out var first));
        Assert.True(group.Updates.Reader.TryRead(out var last));
        Assert.Equal(("<5>", -0.5f), (first!.TextDelta, first.Logprobs![0].Logprob));
        Assert.Equal(("<6>|flushed", FinishReason.Length), (last!.TextDelta, last.Finish));
        Assert.Null(last.Logprobs);
        Assert.DoesNotContain(Environment.CurrentManagedThreadId, texts.Threads);
        Assert.Single(texts.Threads.Distinct());
    }

    [Fact]
    public void WriteToken_StopToken_ShowsOnlyTheHeldBackText()
    {
        var texts = new RecordingTexts();
        var group = Group(2);
        var sample = new SampleState(group, 0) { Text = texts.Create(Sampling) };
        using var outbox = UpdateOutbox.Inline();

        outbox.WriteToken(sample, new TokenUpdate(new ChosenToken(9, 0f, []), true, FinishReason.Stop, new GenerationUsage(2, 1), false, null));

        Assert.True(group.Updates.Reader.TryRead(out var update));
        Assert.Equal(("|flushed", FinishReason.Stop), (update!.TextDelta, update.Finish));
        Assert.Equal([9], update.TokenIds);
    }

    [Fact]
    public async Task WriteToken_TextStreamThrows_FailsThatRequestOnlyAndTheOutboxGoesOn()
    {
        var broken = Group(4);
        var healthy = Group(5);
        var sample = new SampleState(broken, 0) { Text = new ThrowingText() };
        using (var outbox = UpdateOutbox.Background())
        {
            outbox.Start();
            outbox.WriteToken(sample, new TokenUpdate(new ChosenToken(5, 0f, []), false, null, null, false, null));
            outbox.Write(healthy, Update(7));
            outbox.Complete(healthy);
            outbox.Flush();
        }

        var (brokenTokens, error) = await ReadAllAsync(broken);
        var (healthyTokens, healthyError) = await ReadAllAsync(healthy);
        Assert.Empty(brokenTokens);
        var failed = Assert.IsType<GenerationFailedException>(error);
        Assert.Contains("r4", failed.Message);
        Assert.IsType<FormatException>(failed.InnerException);
        Assert.Equal([7], healthyTokens);
        Assert.Null(healthyError);
    }

    [Fact]
    public async Task Dispose_NeverStarted_StillWritesWhatWasPosted()
    {
        var group = Group(3);
        var outbox = UpdateOutbox.Background();
        outbox.Write(group, Update(1));
        outbox.Complete(group);

        outbox.Dispose();
        outbox.Write(group, Update(2));

        var (tokens, error) = await ReadAllAsync(group);
        Assert.Equal([1], tokens);
        Assert.Null(error);
    }

    private sealed class ThrowingText : ITextStream
    {
        public TextStep Push(int tokenId, bool mayStop) => throw new FormatException("not a token");

        public string Flush() => throw new FormatException("not a token");
    }

    /// <summary>The fake text of a token, "|flushed" on a flush, and the threads that used the stream.</summary>
    private sealed class RecordingTexts : ITextStreamFactory, ITextStream
    {
        public List<int> Threads { get; } = [];

        public ITextStream Create(SamplingParams sampling) => this;

        public TextStep Push(int tokenId, bool mayStop)
        {
            Threads.Add(Environment.CurrentManagedThreadId);
            return new TextStep(FakeTextStreamFactory.TextOf(tokenId), false);
        }

        public string Flush()
        {
            Threads.Add(Environment.CurrentManagedThreadId);
            return "|flushed";
        }
    }
}
