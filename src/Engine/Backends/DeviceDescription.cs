namespace MambaServe.Engine.Backends;

/// <summary>What a runner computes on, for logs, health and metrics.</summary>
/// <param name="Name">The device: "cpu", "cuda:0 NVIDIA H200".</param>
/// <param name="Details">How it is used: "16 threads, fp32 state", "bf16 weights, fp32 state".</param>
public sealed record DeviceDescription(DeviceKind Kind, string Name, string Details)
{
    /// <summary>What the model's weights take in the device's memory (0: not reported).</summary>
    public long WeightBytes { get; init; }

    public override string ToString() => string.IsNullOrEmpty(Details) ? Name : $"{Name} ({Details})";
}
