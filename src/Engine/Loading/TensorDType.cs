namespace MambaServe.Engine.Loading;

/// <summary>
/// Element types a checkpoint may store: the float ones a Mamba checkpoint's weights use (fp32, fp16, bf16; all
/// little-endian), and int64 for token ids in reference files.
/// </summary>
public enum TensorDType
{
    Float32,
    Float16,
    BFloat16,
    Int64,
}
