using MambaServe.Engine.Loading;
using static TorchSharp.torch;

namespace MambaServe.Engine.Backends.Cpu;

/// <summary>
/// The preallocated recurrent state of every slot, fp32, slot-major so one slot is one contiguous block per kind:
/// conv [slots, layers, d_inner, d_conv-1] and ssm [slots, layers, d_inner, d_state]. Kernels get a pointer to a
/// layer's block of slot 0 and the slot stride, and index slots themselves.
/// </summary>
internal sealed unsafe class CpuStatePool : IDisposable
{
    private readonly MambaConfig _config;

    public CpuStatePool(MambaConfig config, int slots)
    {
        _config = config;
        SlotCount = slots;
        Conv = zeros(slots, config.NLayer, config.DInner, config.DConv - 1, dtype: ScalarType.Float32);
        Ssm = zeros(slots, config.NLayer, config.DInner, config.DState, dtype: ScalarType.Float32);
    }

    public int SlotCount { get; }
    public Tensor Conv { get; }
    public Tensor Ssm { get; }

    public long ConvSlotStride => _config.ConvStateElementsPerSlot;
    public long SsmSlotStride => _config.SsmStateElementsPerSlot;

    public float* ConvLayer(int layer) => (float*)Conv.DataPointer() + (long)layer * _config.DInner * (_config.DConv - 1);
    public float* SsmLayer(int layer) => (float*)Ssm.DataPointer() + (long)layer * _config.DInner * _config.DState;

    private Span<float> ConvSlot(int slot) => new((float*)Conv.DataPointer() + slot * ConvSlotStride, checked((int)ConvSlotStride));
    private Span<float> SsmSlot(int slot) => new((float*)Ssm.DataPointer() + slot * SsmSlotStride, checked((int)SsmSlotStride));

    public void Copy(int source, int destination)
    {
        CheckSlot(source);
        CheckSlot(destination);
        if (source == destination) return;
        ConvSlot(source).CopyTo(ConvSlot(destination));
        SsmSlot(source).CopyTo(SsmSlot(destination));
    }

    public void Zero(int slot)
    {
        CheckSlot(slot);
        ConvSlot(slot).Clear();
        SsmSlot(slot).Clear();
    }

    public StateSnapshot Snapshot(int slot)
    {
        CheckSlot(slot);
        return new StateSnapshot(ConvSlot(slot).ToArray(), SsmSlot(slot).ToArray());
    }

    public void Restore(int slot, StateSnapshot snapshot)
    {
        CheckSlot(slot);
        if (snapshot.Conv.LongLength != ConvSlotStride || snapshot.Ssm.LongLength != SsmSlotStride)
            throw new ArgumentException("Snapshot was taken from a model of a different shape.", nameof(snapshot));
        snapshot.Conv.CopyTo(ConvSlot(slot));
        snapshot.Ssm.CopyTo(SsmSlot(slot));
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
}
