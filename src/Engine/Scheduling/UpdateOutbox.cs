using System.Collections.Concurrent;
using MambaServe.Engine.Generation;

namespace MambaServe.Engine.Scheduling;

/// <summary>
/// Every write to the requests' update channels, in the order the engine makes them. <see cref="Inline"/> writes at
/// once on the caller's thread (EngineCore driven step by step by tests and the scheduler bench).
/// <see cref="Background"/> hands the writes, and the detokenising of tokens whose text cannot end their sample, to
/// one thread of its own, so that this host work runs while the runner computes the next step instead of between
/// steps (issue 9, point 3). One queue for all requests keeps each request's updates, and its completion, in order.
/// The engine posts from its thread only, and <see cref="Flush"/> hands the thread a step's posts at once: one
/// signal per step, where one per token (a first version) cost the engine thread more than the text it moved away.
/// </summary>
internal sealed class UpdateOutbox : IDisposable
{
    private readonly BlockingCollection<List<Outgoing>>? _queue;
    private readonly ConcurrentQueue<List<Outgoing>> _spare = new();
    private readonly Thread? _thread;
    private List<Outgoing> _pending = [];
    private bool _started, _disposed;

    private UpdateOutbox(bool background)
    {
        if (background)
        {
            _queue = new BlockingCollection<List<Outgoing>>(new ConcurrentQueue<List<Outgoing>>());
            _thread = new Thread(Drain) { IsBackground = true, Name = "MambaServe update outbox" };
        }
    }

    private enum Kind
    {
        Update,
        Token,
        Complete,
    }

    public static UpdateOutbox Inline() => new(background: false);

    /// <summary>An outbox with its own thread, started by <see cref="Start"/>; what is flushed before waits for it.</summary>
    public static UpdateOutbox Background() => new(background: true);

    public void Start()
    {
        if (_thread is not null && !_started)
        {
            _started = true;
            _thread.Start();
        }
    }

    /// <summary>Sends <paramref name="update"/> on <paramref name="group"/>'s channel.</summary>
    public void Write(SequenceGroup group, GenerationUpdate update) =>
        Post(new Outgoing(Kind.Update, group, update, null, default, null));

    /// <summary>
    /// Sends the update of a token whose text is made here (<see cref="TokenUpdate.ToUpdate"/>). Only for samples whose
    /// text cannot end them (no stop strings): the engine knows their finish before the text exists.
    /// </summary>
    public void WriteToken(SampleState sample, in TokenUpdate token) =>
        Post(new Outgoing(Kind.Token, sample.Group, null, sample, token, null));

    /// <summary>Ends <paramref name="group"/>'s channel, with <paramref name="error"/> when it failed.</summary>
    public void Complete(SequenceGroup group, Exception? error = null) =>
        Post(new Outgoing(Kind.Complete, group, null, null, default, error));

    /// <summary>Hands what was posted since the last flush to the outbox's thread (inline: all was written already).</summary>
    public void Flush()
    {
        if (_queue is null || _disposed || _pending.Count == 0)
        {
            return;
        }

        _queue.Add(_pending);
        _pending = _spare.TryDequeue(out var list) ? list : [];
    }

    /// <summary>Writes everything posted (on the outbox's thread, which then ends), then returns.</summary>
    public void Dispose()
    {
        if (_queue is null || _disposed)
        {
            return;
        }

        Flush();
        _disposed = true;
        _queue.CompleteAdding();
        if (_started)
        {
            _thread!.Join();
        }
        else
        {
            Drain();
        }

        _queue.Dispose();
    }

    private void Post(in Outgoing item)
    {
        // After Dispose (the engine has stopped) a late write still goes out, inline.
        if (_queue is null || _disposed)
        {
            Send(item);
        }
        else
        {
            _pending.Add(item);
        }
    }

    private void Drain()
    {
        foreach (var list in _queue!.GetConsumingEnumerable())
        {
            foreach (var item in list)
            {
                Send(item);
            }

            list.Clear();
            _spare.Enqueue(list);
        }
    }

    private static void Send(in Outgoing item)
    {
        var writer = item.Group.Updates.Writer;
        try
        {
            switch (item.Kind)
            {
                case Kind.Update:
                    writer.TryWrite(item.Update!);
                    break;
                case Kind.Token:
                    writer.TryWrite(item.Token.ToUpdate(item.Sample!));
                    break;
                default:
                    writer.TryComplete(item.Error);
                    break;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A text stream that throws fails its request only, as it did on the engine thread: the reader gets the
            // error and goes away, which frees the request's slots at the engine's next step.
            writer.TryComplete(new GenerationFailedException($"Request '{item.Group.Request.RequestId}' failed: {ex.Message}", ex));
        }
    }

    private readonly record struct Outgoing(
        Kind Kind, SequenceGroup Group, GenerationUpdate? Update, SampleState? Sample, TokenUpdate Token, Exception? Error);
}
