using System.Collections.Concurrent;
using System.Threading.Channels;
using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Scheduling;

/// <summary>Runner operations from other threads (<see cref="IRunnerOperations"/>), run by the loop between steps.</summary>
public sealed partial class EngineLoop
{
    private readonly ConcurrentQueue<(Action<IModelRunner> Operation, TaskCompletionSource Done)> _operations = new();
    private readonly Channel<bool> _wake = Channel.CreateUnbounded<bool>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _inlineLock = new();
    private volatile bool _inline;

    public Task RunAsync(Action<IModelRunner> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _operations.Enqueue((operation, done));
        if (_inline || Volatile.Read(ref _state) == NotStarted)
        {
            // The loop is gone (or never ran): nothing else touches the runner, so run here, one caller at a time.
            lock (_inlineLock)
            {
                RunOperations();
            }
        }
        else
        {
            _wake.Writer.TryWrite(true);
        }

        return done.Task;
    }

    /// <summary>Runs every queued operation; one that throws fails its own task only.</summary>
    private void RunOperations()
    {
        while (_operations.TryDequeue(out var item))
        {
            try
            {
                item.Operation(_runner);
                item.Done.TrySetResult();
            }
            catch (Exception ex)
            {
                item.Done.TrySetException(ex);
            }
        }
    }

    /// <summary>Blocks the idle loop until a request or an operation arrives; false once stopping with no request left.</summary>
    private bool WaitForWork()
    {
        while (_wake.Reader.TryRead(out _))
        {
        }

        if (!_operations.IsEmpty || _inbox.Reader.TryPeek(out _))
        {
            return true;
        }

        var request = _inbox.Reader.WaitToReadAsync().AsTask();
        var operation = _wake.Reader.WaitToReadAsync().AsTask();
        Task.WhenAny(request, operation).GetAwaiter().GetResult();
        return !request.IsCompleted || request.Result || !_operations.IsEmpty;
    }

    /// <summary>The loop has exited: later operations run on their callers' threads, and those queued meanwhile run now.</summary>
    private void MarkOperationsInline()
    {
        lock (_inlineLock)
        {
            _inline = true;
            RunOperations();
        }
    }
}
