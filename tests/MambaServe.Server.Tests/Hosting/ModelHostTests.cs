using MambaServe.Server.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MambaServe.Server.Tests.Hosting;

/// <summary>
/// The model's background load against the host's start: a load that fails on its own is the one fatal line and
/// stops the application; a load torn down because the host failed to start (a taken port) says nothing more.
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
