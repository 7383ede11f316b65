using MambaServe.Engine.Backends;
using MambaServe.Engine.Gpu.Interop;
using MambaServe.Engine.Interop;
using MambaServe.Engine.Loading;

namespace MambaServe.Engine.Gpu;

/// <summary>
/// The GPU runner: the whole model in the native library's <c>msv_model</c> (weights, state pool, snapshots and the
/// sampler in device memory), driven through the C API. A step is marshalled into pinned buffers reused from step to
/// step (<see cref="GpuStepBuffers"/>), so only sampled ids, logprobs and asked-for logits come back to the host. On
/// libmambaserve_cpu (the fp32 reference) the same runner runs without a GPU, which is how CI tests it. Owned by one
/// thread (the engine loop); not thread-safe, except <see cref="QueryMemory"/>.
/// </summary>
public sealed unsafe class GpuModelRunner : IModelRunner, IDeviceMemory
{
    private readonly ModelHandle _model;
    private readonly GpuDevice _device;
    private readonly StepBatchValidator _validator;
    // Two layouts: a batch begun ahead is laid out while the one before it, whose outputs the library writes at its
    // end, is still in flight.
    private readonly GpuStepBuffers[] _buffers;
    private readonly Queue<(StepBatch Batch, GpuStepBuffers Buffers)> _inFlight = new(2);
    private GpuStepBuffers? _lastBegun;
    private int _nextBuffers;
    private readonly GpuSamplerSlots _samplers;
    private string? _fault;
    private long _totalBytes = -1;  // the device's size, queried once (QueryMemory)

    private GpuModelRunner(MambaConfig config, ModelHandle model, GpuModelSettings settings, GpuDevice device)
    {
        Config = config;
        _model = model;
        _device = device;
        Settings = settings;
        _validator = new StepBatchValidator(settings.Slots, config.VocabSize);
        _buffers =
        [
            new GpuStepBuffers(config.VocabSize, settings.MaxLogprobs, settings.MaxStepTokens, settings.MaxDecodeBatch, settings.SampleableVocab),
            new GpuStepBuffers(config.VocabSize, settings.MaxLogprobs, settings.MaxStepTokens, settings.MaxDecodeBatch, settings.SampleableVocab),
        ];
        _samplers = new GpuSamplerSlots(settings.Slots);
        Device = new DeviceDescription(device.Kind, device.Name,
            $"{WeightDTypes.Name(settings.WeightDType)} weights, {WeightDTypes.Name(settings.StateDType)} state, {settings.Slots} slots")
        {
            WeightBytes = settings.WeightBytes,
        };
    }

    public MambaConfig Config { get; }
    public int SlotCount => Settings.Slots;
    public int LogitsWidth => Config.VocabSize;
    public DeviceDescription Device { get; }
    public string? FaultReason => Volatile.Read(ref _fault);

    internal GpuModelSettings Settings { get; }

    /// <summary>Builds the model on <paramref name="device"/>, whose library <see cref="ModelLibrary.Use"/> already chose.</summary>
    internal static GpuModelRunner Create(RunnerOptions options, GpuDevice device)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (model, settings) = GpuModelLoader.Load(options, device);
        return new GpuModelRunner(options.Config, model, settings, device);
    }

    public void Step(StepBatch batch)
    {
        if (_inFlight.Count > 0)
        {
            throw new InvalidOperationException("A step is in flight; end it before running another.");
        }

        Begin(batch);
        End(batch);
    }

    /// <summary>On unless <c>MSV_RUN_AHEAD=0</c> (for A/B runs of the engine with and without it; tests set it).</summary>
    public bool RunsAhead { get; internal set; } = Environment.GetEnvironmentVariable("MSV_RUN_AHEAD") != "0";

    public bool CanContinue(StepBatch previous) =>
        _inFlight.Count == 1 && ReferenceEquals(_inFlight.Peek().Batch, previous) && _lastBegun!.Groups.Count == 1 &&
        previous.Entries.Count <= Settings.MaxDecodeBatch;

    /// <summary>
    /// Lays the batch out and begins it in the library (msv_model_step_begin): one call for a batch of one native step;
    /// a larger one (more tokens or decodes than a native step takes) runs its first parts to the end and begins the
    /// last, which only a batch with nothing in flight may do.
    /// </summary>
    public void Begin(StepBatch batch)
    {
        ThrowIfFaulted();
        if (_inFlight.Count == 2)
        {
            throw new InvalidOperationException("Two steps are in flight; end one before beginning another.");
        }

        _validator.Validate(batch);
        var buffers = _buffers[_nextBuffers];
        try
        {
            buffers.Build(batch, _samplers, _lastBegun);
        }
        catch
        {
            _samplers.Rollback();
            throw;
        }

        var groups = buffers.Groups;
        if (groups.Count > 1 && _inFlight.Count > 0)
        {
            _samplers.Rollback();
            throw new InvalidOperationException("A batch of several native steps cannot begin while another is in flight.");
        }

        for (int g = 0; g < groups.Count; g++)
        {
            var step = buffers.Step(g);
            var status = ModelNativeMethods.ModelStepBegin(_model, in step);
            if (status == MsvStatus.Ok && g < groups.Count - 1)
            {
                status = ModelNativeMethods.ModelStepEnd(_model);
            }

            if (status != MsvStatus.Ok)
            {
                ThrowStepFailure(status, g, buffers);
            }
        }

        _samplers.Accept();
        _inFlight.Enqueue((batch, buffers));
        _lastBegun = buffers;
        _nextBuffers ^= 1;
    }

    /// <summary>Waits for the mark late in the batch begun last (msv_model_step_wait_mark), if one is in flight.</summary>
    public void WaitForTail()
    {
        if (_inFlight.Count > 0 && ModelNativeMethods.ModelStepWaitMark(_model) is var status && status != MsvStatus.Ok)
        {
            throw Failure(status, NativeStatus.LastError());
        }
    }

    /// <summary>Waits for the oldest begun batch (msv_model_step_end) and writes its results into it.</summary>
    public void End(StepBatch batch)
    {
        if (!_inFlight.TryPeek(out var oldest) || !ReferenceEquals(oldest.Batch, batch))
        {
            throw new InvalidOperationException("End takes the oldest batch begun and not yet ended.");
        }

        _inFlight.Dequeue();
        var status = ModelNativeMethods.ModelStepEnd(_model);
        if (status != MsvStatus.Ok)
        {
            throw Failure(status, NativeStatus.LastError());
        }

        oldest.Buffers.ReadResults(batch);
    }

    private void ThrowStepFailure(MsvStatus status, int group, GpuStepBuffers buffers)
    {
        var message = NativeStatus.LastError();
        int bad = buffers.BadPart;
        if (group == 0)
        {
            // The first call of the batch: nothing of it reached the device, so its sampler stages are undone.
            _samplers.Rollback();
        }
        else
        {
            _samplers.Accept();
        }

        if (status == MsvStatus.InvalidArgument && bad >= 0 && group == 0)
        {
            // Refused before any state changed (the first call of the step): only that entry's request fails.
            throw new StepEntryException(buffers.EntryOfPart(buffers.Groups[0].FirstPart + bad), message);
        }

        throw Failure(status, message);
    }

    public void CopySlot(int source, int destination) => Check(ModelNativeMethods.ModelCopySlot(_model, source, destination));

    public void ZeroSlot(int slot)
    {
        // On a lost device there is no state to reset, and the engine frees slots while it fails the requests.
        if (FaultReason is null)
        {
            Check(ModelNativeMethods.ModelZeroSlot(_model, slot));
        }

        _samplers.Forget(slot);
    }

    public IStateSnapshot Snapshot(int slot)
    {
        Check(ModelNativeMethods.ModelSnapshot(_model, slot, out var handle));
        return new GpuSnapshot(this, handle);
    }

    public void Restore(int slot, IStateSnapshot snapshot) => Check(ModelNativeMethods.ModelRestore(_model, slot, Own(snapshot).Handle));

    public byte[] ExportSnapshot(IStateSnapshot snapshot)
    {
        var own = Own(snapshot);
        var bytes = new byte[own.SizeInBytes];
        fixed (byte* host = bytes)
        {
            Check(ModelNativeMethods.SnapshotRead(own.Handle, (nint)host, bytes.Length));
        }

        return bytes;
    }

    public IStateSnapshot ImportSnapshot(ReadOnlySpan<byte> bytes)
    {
        SnapshotHandle handle;
        MsvStatus status;
        fixed (byte* host = bytes)
        {
            status = ModelNativeMethods.ModelSnapshotFromHost(_model, (nint)host, bytes.Length, out handle);
        }

        if (status == MsvStatus.InvalidArgument)
        {
            handle.Dispose();
            throw new ArgumentException(NativeStatus.LastError(), nameof(bytes));
        }

        Check(status);
        return new GpuSnapshot(this, handle);
    }

    /// <summary>
    /// Free and total memory of the runner's device now (from any thread; the bench samples it on the side while the
    /// engine steps). Free memory comes through the model (cudaMemGetInfo alone); the device query behind the total
    /// also reads every device property, a heavy driver call to repeat beside the engine thread, so it runs once.
    /// </summary>
    public DeviceMemory QueryMemory()
    {
        long total = Volatile.Read(ref _totalBytes);
        if (total < 0)
        {
            NativeStatus.Check(ModelNativeMethods.DeviceQuery(_device.Index, out var info));
            total = info.TotalBytes;
            Volatile.Write(ref _totalBytes, total);
        }

        NativeStatus.Check(ModelNativeMethods.ModelMemory(_model, out _, out long free));
        return new DeviceMemory(free, total);
    }

    private GpuSnapshot Own(IStateSnapshot snapshot)
    {
        if (snapshot is not GpuSnapshot own || own.Owner != this)
        {
            throw new ArgumentException($"A {snapshot?.GetType().Name} is not a snapshot of this GPU runner.", nameof(snapshot));
        }

        ObjectDisposedException.ThrowIf(own.Handle.IsClosed, snapshot);
        return own;
    }

    private void Check(MsvStatus status)
    {
        ThrowIfFaulted();
        if (status != MsvStatus.Ok)
        {
            throw Failure(status, NativeStatus.LastError());
        }
    }

    /// <summary>The exception for a failed call; a lost device is remembered (every later call fails, health turns 503).</summary>
    private NativeKernelException Failure(MsvStatus status, string message)
    {
        if (status == MsvStatus.DeviceLost)
        {
            Interlocked.CompareExchange(ref _fault, $"{_device.Name} was lost: {message}", null);
        }

        return new NativeKernelException(status, message);
    }

    private void ThrowIfFaulted()
    {
        if (FaultReason is { } fault)
        {
            throw new NativeKernelException(MsvStatus.DeviceLost, fault);
        }
    }

    public void Dispose() => _model.Dispose();
}
