using System.Runtime.InteropServices;

namespace MambaServe.Engine.Cpu.Tests.Interop.ModelApi;

/// <summary>Test-only mirror of <c>msv_sampling</c> (mambaserve.h), field by field.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MsvSampling
{
    public ulong Seed;
    public float Temperature;
    public int TopK;
    public float TopP, MinP;
    public float RepetitionPenalty, PresencePenalty, FrequencyPenalty;
    public int Logprobs;
    public int NBias, NPrompt;
    public nint BiasIds, BiasValues, PromptIds;
}
