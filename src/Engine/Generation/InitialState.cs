using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Generation;

/// <summary>
/// A recurrent state a request starts from instead of the zero state (a stored response being continued): the engine
/// loads it into the request's first slot before its prompt, which then holds only the new tokens, and forks from
/// there for n &gt; 1. The engine calls <see cref="RestoreInto"/> at most once, on its loop thread, and
/// <see cref="Release"/> when the request no longer needs it (after the restore, or when it ends without one).
/// </summary>
public abstract class InitialState
{
    /// <summary>Loads the state into <paramref name="slot"/>. Engine loop thread only.</summary>
    /// <exception cref="ArgumentException">The state does not fit this runner (another model shape or layout).</exception>
    public abstract void RestoreInto(IModelRunner runner, int slot);

    /// <summary>Lets go of what the state holds. Any thread; idempotent. The caller of GenerateAsync calls it when admission throws.</summary>
    public abstract void Release();
}
