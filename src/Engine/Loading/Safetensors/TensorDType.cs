namespace MambaServe.Engine.Loading.Safetensors;

/// <summary>Element types a Mamba checkpoint may store; all are upcast to fp32 on load.</summary>
internal enum TensorDType
{
    Float32,
    Float16,
    BFloat16,
}
