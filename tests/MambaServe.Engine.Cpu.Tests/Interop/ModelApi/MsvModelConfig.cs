using System.Runtime.InteropServices;
namespace MambaServe.Engine.Cpu.Tests.Interop.ModelApi;

/// <summary>Test-only mirror of <c>msv_model_config</c> (mambaserve.h), field by field.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MsvModelConfig
{
    public int DModel, NLayer, DInner, DState, DConv, DtRank;
    public int Vocab, SampleableVocab;
    public int ConvBias, ProjBias, TieEmbeddings;
    public float NormEps;
    /// <summary>msv_dtype values (MsvDtype): an enum of another assembly would make the struct non-blittable for LibraryImport.</summary>
    public int WeightDtype, StateDtype;
    public int MaxStepTokens, MaxDecodeBatch, MaxLogprobs;
    public int Device, UseGraphs;
}
