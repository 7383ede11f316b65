namespace MambaServe.Engine.Loading.Safetensors;

/// <summary>Element types we read: the float ones a Mamba checkpoint may store (all upcast to fp32 on load), and
/// int64 for token ids in reference files.</summary>
internal enum TensorDType
{
    Float32,
    Float16,
    BFloat16,
    Int64,
}
