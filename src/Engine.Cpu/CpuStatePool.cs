using MambaServe.Engine.Cpu.Interop;
using MambaServe.Engine.Interop;
using MambaServe.Engine.Loading;
using MambaServe.Engine.State;
using static TorchSharp.torch;

namespace MambaServe.Engine.Cpu;

/// <summary>
/// The preallocated recurrent state of every slot, slot-major so one slot is one contiguous block per kind:
/// conv [slots, layers, d_inner, d_conv-1] fp32 and ssm [slots, layers, d_inner, d_state] in fp32 or bf16. Kernels
/// get a pointer to a layer's block of slot 0 and the slot stride, and index slots themselves.
/// </summary>
internal sealed unsafe class CpuStatePool : IDisposable
{
    private readonly MambaConfig _config;

    public CpuStatePool(MambaConfig config, int slots, StateDType ssmDType)
    {
        _config = config;
        SlotCount = slots;
        SsmDType = ssmDType;
        Conv = zeros(slots, config.NLayer, config.DInner, config.DConv - 1, dtype: ScalarType.Float32);
        Ssm = zeros(slots, config.NLayer, config.DInner, config.DState,
            dtype: ssmDType == StateDType.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32);
    }

    public int SlotCount { get; }
    public StateDType SsmDType { get; }
    public MsvDtype SsmKernelDType => SsmDType == StateDType.BFloat16 ? MsvDtype.BF16 : MsvDtype.F32;
    public Tensor Conv { get; }
    public Tensor Ssm { get; }

    public long ConvSlotStride => _config.ConvStateElementsPerSlot;
    public long SsmSlotStride => _config.SsmStateElementsPerSlot;
    private long SsmLayerStride => (long)_config.DInner * _config.DState;

    public nint ConvLayer(int layer) => Conv.DataPointer() + (nint)((long)layer * _config.DInner * (_config.DConv - 1) * sizeof(float));
    public nint SsmLayer(int layer) => Ssm.DataPointer() + (nint)(layer * SsmLayerStride * Ssm.element_size());

    /// <summary>
    /// fp32 SSM state for a scan over one slot (the scan kernel keeps its state in fp32). For fp32 storage this is the
    /// pool itself; for bf16 it is a staged fp32 copy that <see cref="ScanState.Dispose"/> rounds back into the pool.
    /// </summary>
    public ScanState BeginScan(int slot) => SsmDType == StateDType.Float32
        ? new ScanState(this, slot, staged: null)
        : new ScanState(this, slot, StageFp32(slot));

    private Tensor StageFp32(int slot)
    {
        using var view = Ssm[slot];
        return view.to(ScalarType.Float32).contiguous().MoveToOuterDisposeScope();
    }

    public void Copy(int source, int destination)
    {
        using var scope = NewDisposeScope(); // the slot views below are temporaries
        CheckSlot(source);
        CheckSlot(destination);
        if (source == destination) return;
        Conv[destination].copy_(Conv[source]);
        Ssm[destination].copy_(Ssm[source]);
    }

    public void Zero(int slot)
    {
        using var scope = NewDisposeScope(); // the slot views below are temporaries
        CheckSlot(slot);
        Conv[slot].zero_();
        Ssm[slot].zero_();
    }

    public CpuStateSnapshot Snapshot(int slot)
    {
        using var scope = NewDisposeScope(); // the slot views below are temporaries
        CheckSlot(slot);
        using var conv = Conv[slot].contiguous();
        using var ssm = Ssm[slot].to(ScalarType.Float32).contiguous();
        return new CpuStateSnapshot(conv.data<float>().ToArray(), ssm.data<float>().ToArray());
    }

    public void Restore(int slot, float[] convState, float[] ssmState)
    {
        using var scope = NewDisposeScope(); // the slot views below are temporaries
        CheckSlot(slot);
        if (convState.LongLength != ConvSlotStride || ssmState.LongLength != SsmSlotStride)
            throw new ArgumentException("Snapshot was taken from a model of a different shape.", nameof(convState));
        using var conv = tensor(convState, ScalarType.Float32);
        using var ssm = tensor(ssmState, ScalarType.Float32);
        Conv[slot].copy_(conv.view(Conv[slot].shape));
        Ssm[slot].copy_(ssm.view(Ssm[slot].shape));
    }

    public void CheckSlot(int slot)
    {
        if ((uint)slot >= (uint)SlotCount)
            throw new ArgumentOutOfRangeException(nameof(slot), slot, $"Slot must be in [0, {SlotCount}).");
    }

    public void Dispose()
    {
        Conv.Dispose();
        Ssm.Dispose();
    }

    /// <summary>Where the scan of one slot reads and writes its fp32 SSM state, layer by layer.</summary>
    internal sealed class ScanState(CpuStatePool pool, int slot, Tensor? staged) : IDisposable
    {
        /// <summary>The slot index to hand the kernel (0 in a staged single-slot copy).</summary>
        public int SlotIndex => staged is null ? slot : 0;
        public long SlotStride => pool.SsmSlotStride;
        public nint Layer(int layer) => staged is null
            ? pool.SsmLayer(layer)
            : staged.DataPointer() + (nint)(layer * pool.SsmLayerStride * sizeof(float));

        public void Dispose()
        {
            if (staged is null) return;
            using (var view = pool.Ssm[slot]) view.copy_(staged);
            staged.Dispose();
        }
    }
}
