namespace MambaServe.Engine.Loading;

/// <summary>
/// What a checkpoint tensor is in the model. The values are those of <c>msv_tensor</c> in mambaserve.h, so a GPU
/// runner hands a streamed tensor to <c>msv_model_set_tensor</c> by a cast. From <see cref="Norm"/> on, per layer.
/// </summary>
public enum TensorRole
{
    /// <summary>[vocab (padded), d_model].</summary>
    Embedding = 0,
    /// <summary>[d_model].</summary>
    NormF = 1,
    /// <summary>[vocab (padded), d_model]; absent when tied to the embedding.</summary>
    LmHead = 2,
    /// <summary>[d_model].</summary>
    Norm = 10,
    /// <summary>[2 d_inner, d_model].</summary>
    InProj = 11,
    /// <summary>[2 d_inner].</summary>
    InProjBias = 12,
    /// <summary>[d_inner, d_conv] (stored [d_inner, 1, d_conv]).</summary>
    ConvWeight = 13,
    /// <summary>[d_inner].</summary>
    ConvBias = 14,
    /// <summary>[dt_rank + 2 d_state, d_inner].</summary>
    XProj = 15,
    /// <summary>[d_inner, dt_rank].</summary>
    DtProj = 16,
    /// <summary>[d_inner].</summary>
    DtProjBias = 17,
    /// <summary>[d_inner, d_state]; the model computes A = -exp(A_log).</summary>
    ALog = 18,
    /// <summary>[d_inner].</summary>
    D = 19,
    /// <summary>[d_model, d_inner].</summary>
    OutProj = 20,
    /// <summary>[d_model].</summary>
    OutProjBias = 21,
}
