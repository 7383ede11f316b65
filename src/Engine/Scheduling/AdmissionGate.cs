namespace MambaServe.Engine.Scheduling;

/// <summary>
/// Bounds the requests (and their prompt tokens) accepted but not yet holding slots, so overload is refused at once
/// instead of growing an unbounded queue. Callers on any thread enter; the engine loop releases as a request leaves
/// the waiting queue (admitted to slots, aborted, timed out). The lock guards the two counters together.
/// </summary>
internal sealed class AdmissionGate(int maxRequests, long maxPromptTokens)
{
    private readonly Lock _lock = new();
    private int _requests;
    private long _promptTokens;

    public int WaitingRequests
    {
        get
        {
            lock (_lock)
            {
                return _requests;
            }
        }
    }

    /// <summary>Counts a request in, or throws <see cref="EngineOverloadedException"/> when it does not fit.</summary>
    public void Enter(int promptTokens)
    {
        lock (_lock)
        {
            if (_requests + 1 > maxRequests)
            {
                throw new EngineOverloadedException($"Too many waiting requests (limit {maxRequests}).");
            }

            if (_promptTokens + promptTokens > maxPromptTokens)
            {
                throw new EngineOverloadedException($"Too many waiting prompt tokens (limit {maxPromptTokens}).");
            }

            _requests++;
            _promptTokens += promptTokens;
        }
    }

    public void Release(int promptTokens)
    {
        lock (_lock)
        {
            _requests--;
            _promptTokens -= promptTokens;
        }
    }
}
