using MambaServe.Engine.Backends;
using MambaServe.Engine.Interop;

namespace MambaServe.Engine.Gpu;

/// <summary>
/// One sample's <see cref="SequenceSampling"/> as <c>msv_sampling</c>: its bias list and prompt ids copied once, when
/// the sample starts, into pinned arrays the struct points at (they live as long as the sample does). A sample with
/// min_tokens bans (<see cref="SequenceSampling.MinTokensBans"/>) gets a second struct, <see cref="NativeBanning"/>,
/// for the steps whose target bans them: the same arrays with the bans appended as bias entries, so a step only picks
/// one of two structs and copies nothing. A structured output's grammar bans (<see cref="SampleTarget.GrammarBans"/>)
/// change every step: the struct points at the step's mask bits (<c>ban_bits</c>), which the mask keeps pinned.
/// </summary>
internal sealed class NativeSampling
{
    /// <summary>
    /// The bias that bans a token: large and finite, not -inf. msv_model_step refuses a non-finite bias value, and the
    /// device sampler's arithmetic (bias, then the repetition penalty's multiply, then 1 / temperature up to 1e5) keeps
    /// -1e9 finite where -FLT_MAX or -1e30 could overflow to -inf, a case the kernels were not written for. -1e9 is
    /// still some 10^7 times any real logit plus the largest logit_bias (100): greedy argmax and the top-k / top-p
    /// thresholds never pick it, its exp() is exactly 0 so it holds no top-p mass, and Gumbel noise (|g| &lt; 20 in
    /// fp32) cannot lift it over any other token. Reported logprobs are of the raw logits (mambaserve.h), so the ban
    /// never reaches them: no -inf can come back.
    /// </summary>
    internal const float BanBias = -1e9f;

    private readonly PinnedBuffer<int> _biasIds;
    private readonly PinnedBuffer<float> _biasValues;
    private readonly PinnedBuffer<int> _prompt;

    public NativeSampling(SequenceSampling sampling)
    {
        Sampling = sampling;
        var p = sampling.Parameters;
        int biasCount = p.LogitBias.Count;
        var bans = sampling.MinTokensBans;
        _biasIds = new PinnedBuffer<int>(biasCount + bans.Count);
        _biasValues = new PinnedBuffer<float>(biasCount + bans.Count);
        int i = 0;
        foreach (var (id, value) in p.LogitBias)
        {
            _biasIds[i] = id;
            _biasValues[i++] = value;
        }

        foreach (int id in bans)
        {
            _biasIds[i] = id;
            _biasValues[i++] = BanBias;
        }

        var prompt = sampling.PromptTokens;
        _prompt = new PinnedBuffer<int>(prompt.Count);
        for (int t = 0; t < prompt.Count; t++)
        {
            _prompt[t] = prompt[t];
        }

        Native = new MsvSampling
        {
            Seed = unchecked((ulong)sampling.Seed),
            Temperature = p.Temperature,
            TopK = p.TopK,
            TopP = p.TopP,
            MinP = p.MinP,
            RepetitionPenalty = p.RepetitionPenalty,
            PresencePenalty = p.PresencePenalty,
            FrequencyPenalty = p.FrequencyPenalty,
            Logprobs = p.Logprobs ?? -1,
            NBias = biasCount,
            NPrompt = prompt.Count,
            BiasIds = biasCount > 0 ? _biasIds.At(0) : 0,
            BiasValues = biasCount > 0 ? _biasValues.At(0) : 0,
            PromptIds = prompt.Count > 0 ? _prompt.At(0) : 0,
        };
        NativeBanning = bans.Count == 0 ? Native : Native with
        {
            NBias = biasCount + bans.Count, BiasIds = _biasIds.At(0), BiasValues = _biasValues.At(0),
        };
    }

    public SequenceSampling Sampling { get; }

    public MsvSampling Native { get; }

    /// <summary><see cref="Native"/> with the min_tokens bans: for a target with <see cref="SampleTarget.BanStopTokens"/>.</summary>
    public MsvSampling NativeBanning { get; }

    /// <summary>Top-N logprobs to report (0: none).</summary>
    public int TopCount => Math.Max(0, Sampling.Parameters.Logprobs ?? 0);

    /// <summary>
    /// The struct for <paramref name="target"/>'s step; its arrays stay valid until this sample's next step (the grammar
    /// mask's bits as long as the target holds the mask). <paramref name="sampleableVocab"/>: the ids the device
    /// sampler reads of a mask, which must cover them.
    /// </summary>
    public MsvSampling For(SampleTarget target, int sampleableVocab)
    {
        var fixedEntries = target.BanStopTokens ? NativeBanning : Native;
        var grammar = target.GrammarBans;
        if (grammar.Count == 0)
        {
            return fixedEntries;
        }

        if (grammar.Vocabulary < sampleableVocab)
        {
            throw new ArgumentException($"A grammar mask over {grammar.Vocabulary} ids does not cover the model's {sampleableVocab} sampleable ids.", nameof(target));
        }

        return fixedEntries with { BanBits = grammar.BitsAddress };
    }
}
