namespace MambaServe.Engine.Interop;

/// <summary>
/// Mirror of <c>msv_tensor</c> (mambaserve.h): which weight <c>msv_model_set_tensor</c> sets. The values are those of
/// <see cref="Loading.TensorRole"/>, so a streamed tensor's role converts by a cast.
/// </summary>
internal enum MsvTensor
{
    Embedding = 0,
    NormF = 1,
    LmHead = 2,
    Norm = 10,
    InProj = 11,
    InProjBias = 12,
    ConvWeight = 13,
    ConvBias = 14,
    XProj = 15,
    DtProj = 16,
    DtProjBias = 17,
    ALog = 18,
    D = 19,
    OutProj = 20,
    OutProjBias = 21,
}
