using MambaServe.Engine.Backends;
using MambaServe.Engine.Interop;

namespace MambaServe.Engine.Gpu;

/// <summary>
/// One sample's <see cref="SequenceSampling"/> as <c>msv_sampling</c>: its bias list and prompt ids copied once, when
/// the sample starts, into pinned arrays the struct points at (they live as long as the sample does).
/// </summary>
internal sealed class NativeSampling
{
    private readonly PinnedBuffer<int> _biasIds;
    private readonly PinnedBuffer<float> _biasValues;
    private readonly PinnedBuffer<int> _prompt;

    public NativeSampling(SequenceSampling sampling)
    {
        Sampling = sampling;
        var p = sampling.Parameters;
        int biasCount = p.LogitBias.Count;
        _biasIds = new PinnedBuffer<int>(biasCount);
        _biasValues = new PinnedBuffer<float>(biasCount);
        int i = 0;
        foreach (var (id, value) in p.LogitBias)
        {
            _biasIds[i] = id;
            _biasValues[i++] = value;
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
    }

    public SequenceSampling Sampling { get; }

    public MsvSampling Native { get; }

    /// <summary>Top-N logprobs to report (0: none).</summary>
    public int TopCount => Math.Max(0, Sampling.Parameters.Logprobs ?? 0);
}
