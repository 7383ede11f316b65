using MambaServe.Engine.Loading;

namespace MambaServe.Engine.Backends;

/// <summary>
/// The seam between scheduling and compute, the same for every device. A runner owns a preallocated pool of
/// recurrent-state slots (conv [layers, d_inner, d_conv-1] and ssm [layers, d_inner, d_state] each) and knows slots
/// and tokens, never requests. One <see cref="Step"/> runs all of an engine step's work: prefill chunks of several
/// sequences and the decode tokens of others, forks, and sampling with the parameters the batch carries. Not
/// thread-safe: one engine loop thread owns it. Contract: docs/gpu-engine.md section 2.
/// </summary>
public interface IModelRunner : IDisposable
{
    MambaConfig Config { get; }

    /// <summary>Number of state slots in the pool; slot ids are 0..SlotCount-1.</summary>
    int SlotCount { get; }

    /// <summary>Width of each row of <see cref="StepEntry.Logits"/> (the padded vocab; padded ids are never sampled).</summary>
    int LogitsWidth { get; }

    /// <summary>What computes, for logs and health: "cpu (16 threads)", "cuda:0 NVIDIA H200 (bf16 weights)".</summary>
    DeviceDescription Device { get; }

    /// <summary>
    /// Null while the runner is healthy; one line saying why once its device is lost (every later step fails, and the
    /// server's health check turns 503 with this reason).
    /// </summary>
    string? FaultReason { get; }

    /// <summary>
    /// Runs every entry of <paramref name="batch"/> (each from its slot's current state, leaving the state after its
    /// last token there), copies an entry's state into each fork target's slot, samples every target from its
    /// entry's last position, and writes the results into the batch: <see cref="SampleTarget.Chosen"/> or
    /// <see cref="SampleTarget.Error"/>, and <see cref="StepEntry.Logits"/> for entries that ask for them.
    /// Throws <see cref="StepEntryException"/> for an invalid entry before changing any state. Any other exception
    /// may leave the slots of the batch in any state.
    /// </summary>
    void Step(StepBatch batch);

    /// <summary>
    /// Whether the engine should run ahead on this runner: begin the next decode batch (its tokens taken from the one in
    /// flight, <see cref="StepBatch.AddNextToken"/>) before it ends the current one, so the host's work between two
    /// steps overlaps the device's. False for runners that compute on the host, where a batch begun early is only a
    /// token computed before the last one is published. docs/gpu-engine.md section 2, "Steps the host does not wait for".
    /// </summary>
    bool RunsAhead => false;

    /// <summary>
    /// Whether <see cref="Begin"/> can take, now, a batch whose entries continue targets of <paramref name="previous"/>,
    /// the batch begun last and not yet ended.
    /// </summary>
    bool CanContinue(StepBatch previous) => true;

    /// <summary>
    /// Starts <paramref name="batch"/> as <see cref="Step"/> runs it; its results are there once <see cref="End"/>
    /// returns. At most two batches are begun and not ended; they end in the order they began. Throws as
    /// <see cref="Step"/> does. This default runs the batch right away (after resolving its continued tokens), keeping
    /// the state of rows fed a stop token (<see cref="StepBatch.StepResolved"/>).
    /// </summary>
    void Begin(StepBatch batch) => batch.StepResolved(this);

    /// <summary>
    /// Blocks until the batch begun last is late in its run on the device (on the GPU a mark part way through its
    /// layers: 75% unless <c>MSV_AHEAD_MARK</c> says otherwise), so that the engine decides on the batch it begins next with as
    /// late a picture of its queue as keeps the device busy: a request that arrives before the mark joins the next step
    /// rather than the one after. Runners that compute at <see cref="Begin"/> return at once, as this default does.
    /// </summary>
    void WaitForTail()
    {
    }

    /// <summary>Waits for the oldest begun batch, <paramref name="batch"/>, and writes its results into it.</summary>
    void End(StepBatch batch)
    {
    }

    /// <summary>Overwrites <paramref name="destination"/>'s state with <paramref name="source"/>'s.</summary>
    void CopySlot(int source, int destination);

    /// <summary>Resets a slot to the zero state (a new sequence).</summary>
    void ZeroSlot(int slot);

    /// <summary>A copy of a slot's state, kept where the runner keeps state (device memory on a GPU).</summary>
    IStateSnapshot Snapshot(int slot);

    /// <summary>Overwrites a slot's state with a snapshot this runner took or imported.</summary>
    /// <exception cref="ArgumentException">The snapshot belongs to another kind of runner or another model shape.</exception>
    /// <exception cref="ObjectDisposedException">The snapshot was disposed.</exception>
    void Restore(int slot, IStateSnapshot snapshot);

    /// <summary>The snapshot as bytes, to keep outside the runner (on disk); <see cref="ImportSnapshot"/> reverses it.</summary>
    byte[] ExportSnapshot(IStateSnapshot snapshot);

    /// <summary>A snapshot from bytes that <see cref="ExportSnapshot"/> of a runner of the same model wrote.</summary>
    /// <exception cref="ArgumentException">Wrong size, layout or model shape.</exception>
    IStateSnapshot ImportSnapshot(ReadOnlySpan<byte> bytes);
}
