namespace MambaServe.Engine.Loading;

/// <summary>
/// One layer's weights, upcast to fp32 on the host, in the HF layout (row-major, PyTorch shapes in comments).
/// Backends copy them into their own tensors; nothing here is shared mutable state.
/// </summary>
public sealed record MambaLayerWeights(
    float[] Norm,          // [d_model]
    float[] InProj,        // [2 * d_inner, d_model]
    float[]? InProjBias,   // [2 * d_inner]
    float[] ConvWeight,    // [d_inner, d_conv] (stored [d_inner, 1, d_conv])
    float[]? ConvBias,     // [d_inner]
    float[] XProj,         // [dt_rank + 2 * d_state, d_inner]
    float[] DtProj,        // [d_inner, dt_rank]
    float[] DtProjBias,    // [d_inner]
    float[] ALog,          // [d_inner, d_state]
    float[] D,             // [d_inner]
    float[] OutProj,       // [d_model, d_inner]
    float[]? OutProjBias); // [d_model]
