namespace MambaServe.Engine.State;

/// <summary>
/// Element type a runner stores the SSM state in. The conv state is fp32 on the CPU and in the weight type on the
/// GPU (it holds past in_proj outputs, which are of that type; it is small either way); the SSM state dominates the
/// per-slot bytes, so bf16 halves the memory per sequence at some accuracy cost. Snapshots are fp32
/// whatever the storage type (<see cref="Backends.StateSnapshot"/>).
/// </summary>
public enum StateDType
{
    Float32,
    BFloat16,
}
