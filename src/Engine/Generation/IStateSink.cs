using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Generation;

/// <summary>
/// Where the engine hands a finished request's final state (the Responses API's state store). Called once, on the
/// engine loop thread (so the sink may export the snapshot with <paramref name="runner"/> there), and only when the
/// request's one sample ended by length or by a stop token: those are the ends at which the state and the text agree
/// (see <see cref="SavedState"/>). The sink owns the snapshot from then on.
/// </summary>
public interface IStateSink
{
    void Save(SavedState state, IModelRunner runner);
}
