using MambaServe.Engine.Interop;

namespace MambaServe.Engine.Gpu;

/// <summary>A built model's settings, as the runner needs them after the load.</summary>
internal sealed record GpuModelSettings(MsvDtype WeightDType, MsvDtype StateDType, int Slots, long WeightBytes, long BytesPerSlot,
    int MaxStepTokens, int MaxDecodeBatch, int MaxLogprobs);
