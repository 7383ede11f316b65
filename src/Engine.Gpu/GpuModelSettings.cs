using MambaServe.Engine.Interop;

namespace MambaServe.Engine.Gpu;

/// <summary>A built model's settings, as the runner needs them after the load.</summary>
/// <param name="SampleableVocab">Ids the device sampler reads (msv_model_config.sampleable_vocab).</param>
internal sealed record GpuModelSettings(MsvDtype WeightDType, MsvDtype StateDType, int Slots, long WeightBytes, long BytesPerSlot,
    int MaxStepTokens, int MaxDecodeBatch, int MaxLogprobs, int SampleableVocab);
