namespace MambaServe.Engine.Cpu.Tests.Interop.ModelApi;

/// <summary>Test-only mirror of <c>msv_tensor</c> (mambaserve.h).</summary>
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
