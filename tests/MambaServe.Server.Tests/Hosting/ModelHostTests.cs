using MambaServe.Engine.Conversations;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Tokenization;
using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi.Chat;
using MambaServe.Server.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MambaServe.Server.Tests.Hosting;

/// <summary>
/// The model's background load against the host's start: a load that fails on its own is the one fatal line and
/// stops the application; a load torn down because the host failed to start (a taken port) says nothing more. At the
/// stop, every caller waits for the model's disposal (its state store's last disk writes).
/// </summary>
public sealed class ModelHostTests
{
    [Fact]
    public async Task Load_FailsOnItsOwn_LogsOneCriticalLineAndStopsTheApplication()
    {
        var logger = new RecordingLogger();
        var lifetime = new RecordingLifetime();
        var host = new ModelHost(new ThrowingLoader(release: null), lifetime, logger);

        await host.StartAsync(CancellationToken.None);
        await lifetime.StopCalled.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await host.StoppingAsync(CancellationToken.None);

        Assert.Equal("no such model", host.LoadFailure);
        Assert.Single(logger.Entries, e => e.Level == LogLevel.Critical);
        Assert.True(lifetime.StopRequested);
    }

    [Fact]
    public async Task Load_FailsAfterTheHostIsAbandoned_LogsNoSecondFailure()
    {
        var logger = new RecordingLogger();
        var lifetime = new RecordingLifetime();
        var release = new TaskCompletionSource();
        var host = new ModelHost(new ThrowingLoader(release.Task), lifetime, logger);

        await host.StartAsync(CancellationToken.None);
        host.Abandon();
        release.SetResult();
        await host.StoppingAsync(CancellationToken.None);

        Assert.Null(host.LoadFailure);
        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Error);
        Assert.False(lifetime.StopRequested);
    }

    [Fact]
    public async Task Stopped_CalledTwiceAtOnce_BothWaitForTheModelsDisposal()
    {
        // WebApplicationFactory's dispose stops the host while the entry point's RunAsync stops it too: the second
        // StoppedAsync returned at once, before the state store had written its last response to the state directory.
        var disposing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var model = new SlowDisposingModel(new FakeServedModel("fake-model", null, new FakeEngine(null)), disposing.Task);
        var host = new ModelHost(new FakeModelLoader(model), new RecordingLifetime(), new RecordingLogger());
        var ct = TestContext.Current.CancellationToken;

        await host.StartAsync(ct);
        await host.StoppingAsync(ct);
        Assert.Same(model, host.Model);
        var first = host.StoppedAsync(ct);
        var second = host.StoppedAsync(ct);
        await model.DisposeStarted.WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);
        disposing.SetResult();
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(1, model.DisposeCalls);
        Assert.Null(host.Model);
    }

    /// <summary>A model whose disposal (the state store's flush) lasts until <c>done</c> completes.</summary>
    private sealed class SlowDisposingModel(FakeServedModel inner, Task done) : IServedModel
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _disposeCalls;

        public Task DisposeStarted => _started.Task;

        public int DisposeCalls => Volatile.Read(ref _disposeCalls);

        public string Name => inner.Name;

        public MambaTokenizer? Tokenizer => inner.Tokenizer;

        public ModelChatTemplate? ChatTemplate => inner.ChatTemplate;

        public int SampleableVocab => inner.SampleableVocab;

        public IGenerationEngine Engine => inner.Engine;

        public ConversationStore? Conversations => inner.Conversations;

        public EngineStats Stats => inner.Stats;

        public Task StopAsync(CancellationToken cancellationToken) => inner.StopAsync(cancellationToken);

        public async ValueTask DisposeAsync()
        {
            Interlocked.Increment(ref _disposeCalls);
            _started.TrySetResult();
            await done;
            await inner.DisposeAsync();
        }
    }

    /// <summary>Throws a plain exception (not a cancellation), after <c>release</c> completes when given one.</summary>
    private sealed class ThrowingLoader(Task? release) : IModelLoader
    {
        public async Task<IServedModel> LoadAsync(CancellationToken cancellationToken)
        {
            if (release is not null)
            {
                await release;
            }

            throw new FileNotFoundException("no such model");
        }
    }

    private sealed class RecordingLifetime : IHostApplicationLifetime
    {
        private readonly TaskCompletionSource _stop = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool StopRequested => _stop.Task.IsCompleted;

        public Task StopCalled => _stop.Task;

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => _stop.TrySetResult();
    }

    private sealed class RecordingLogger : ILogger<ModelHost>
    {
        private readonly List<(LogLevel Level, string Message)> _entries = [];

        public IReadOnlyList<(LogLevel Level, string Message)> Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_entries)
            {
                _entries.Add((logLevel, formatter(state, exception)));
            }
        }
    }
}
