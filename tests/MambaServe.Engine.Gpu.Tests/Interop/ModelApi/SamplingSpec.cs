using MambaServe.Engine.Generation;
using MambaServe.Engine.Interop;

namespace MambaServe.Engine.Gpu.Tests.Interop.ModelApi;

/// <summary>A managed <c>msv_sampling</c>: defaults are "plain sampling at temperature 1, nothing else".</summary>
internal sealed record SamplingSpec
{
    public float Temperature { get; init; } = 1f;
    public int TopK { get; init; }
    public float TopP { get; init; } = 1f;
    public float MinP { get; init; }
    public float RepetitionPenalty { get; init; } = 1f;
    public float PresencePenalty { get; init; }
    public float FrequencyPenalty { get; init; }
    public ulong Seed { get; init; }
    public int Logprobs { get; init; } = -1;
    public int[] BiasIds { get; init; } = [];
    public float[] BiasValues { get; init; } = [];
    public int[] PromptIds { get; init; } = [];
    /// <summary>A grammar's bans for the step, sent as <c>ban_bits</c> (null: none).</summary>
    public TokenMask? Bans { get; init; }

    public static SamplingSpec Greedy { get; } = new() { Temperature = 0f };

    public MsvSampling ToNative(NativeArena arena) => new()
    {
        Seed = Seed,
        Temperature = Temperature,
        TopK = TopK,
        TopP = TopP,
        MinP = MinP,
        RepetitionPenalty = RepetitionPenalty,
        PresencePenalty = PresencePenalty,
        FrequencyPenalty = FrequencyPenalty,
        Logprobs = Logprobs,
        NBias = BiasIds.Length,
        NPrompt = PromptIds.Length,
        BiasIds = BiasIds.Length > 0 ? arena.Copy<int>(BiasIds) : 0,
        BiasValues = BiasValues.Length > 0 ? arena.Copy<float>(BiasValues) : 0,
        PromptIds = PromptIds.Length > 0 ? arena.Copy<int>(PromptIds) : 0,
        BanBits = Bans is null ? 0 : arena.Copy<uint>(Bans.Bits),
    };
}
