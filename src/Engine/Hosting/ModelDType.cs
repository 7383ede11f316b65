namespace MambaServe.Engine.Hosting;

/// <summary>
/// The type the runner computes in (<c>--dtype</c>, vLLM's names). Each backend honours what it supports and
/// refuses the rest at load: the CPU runner computes in float32 only.
/// </summary>
public enum ModelDType
{
    /// <summary>The backend's own choice: float32 on the CPU.</summary>
    Auto,
    Float32,
    BFloat16,
    Float16,
}
