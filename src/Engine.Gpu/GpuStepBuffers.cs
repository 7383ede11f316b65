using MambaServe.Engine.Backends;
using MambaServe.Engine.Interop;
using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Gpu;

/// <summary>
/// Lays a <see cref="StepBatch"/> out as <c>msv_step</c> calls in pinned buffers reused from step to step, and reads
/// the results back into the batch. Tokens are copied into one buffer; a step larger than the model's limits is cut
/// into several calls (<see cref="StepGroup"/>), an entry longer than max_step_tokens into pieces, of which only the
/// last samples. Owned by the runner's thread.
/// </summary>
internal sealed class GpuStepBuffers(int logitsWidth, int maxLogprobs, int maxStepTokens, int maxDecodeBatch, int sampleableVocab)
{
    private readonly PinnedBuffer<int> _tokens = new(256);
    private readonly PinnedBuffer<int> _stopIds = new(64);
    private readonly PinnedBuffer<MsvStepEntry> _parts = new(64);
    private readonly PinnedBuffer<MsvSampleTarget> _targets = new(64);
    private readonly PinnedBuffer<MsvSampling> _samplings = new(64);
    private readonly PinnedBuffer<int> _outTokens = new(64);
    private readonly PinnedBuffer<float> _outLogprobs = new(64);
    private readonly PinnedBuffer<int> _outTopIds = new(64 * Math.Max(1, maxLogprobs));
    private readonly PinnedBuffer<float> _outTopLogprobs = new(64 * Math.Max(1, maxLogprobs));
    private readonly PinnedBuffer<float> _outLogits = new(1);
    private readonly PinnedBuffer<int> _badEntry = new(1);
    private readonly List<StepGroup> _groups = [];
    private readonly List<int> _partEntry = [];
    private readonly List<NativeSampling> _stagedSamplings = [];
    private readonly List<SampleTarget> _targetRefs = [];
    private int[] _entrySample = new int[64];
    private int[] _entryLogitRow = new int[64];

    public IReadOnlyList<StepGroup> Groups => _groups;

    /// <summary>The batch entry a part of the step belongs to.</summary>
    public int EntryOfPart(int part) => _partEntry[part];

    /// <summary>Lays the batch out; the sampler state of every target is staged in <paramref name="samplers"/>.</summary>
    public void Build(StepBatch batch, GpuSamplerSlots samplers, GpuStepBuffers? previous = null)
    {
        var entries = batch.Entries;
        Reserve(batch);
        _groups.Clear();
        _partEntry.Clear();
        _stagedSamplings.Clear();
        _targetRefs.Clear();
        var g = new GroupBuilder();
        int tokensUsed = 0, samples = 0, logitRows = 0, parts = 0, stopIdsUsed = 0;
        for (int e = 0; e < entries.Count; e++)
        {
            var entry = entries[e];
            var tokens = entry.Tokens.Span;
            tokens.CopyTo(_tokens.Span[tokensUsed..]);
            _entrySample[e] = samples;
            _entryLogitRow[e] = logitRows;
            for (int offset = 0; offset < tokens.Length;)
            {
                int take = Math.Min(tokens.Length - offset, maxStepTokens - g.Tokens);
                if (take <= 0 || (take == 1 && g.Decodes == maxDecodeBatch))
                {
                    Flush(ref g, parts, samples, logitRows);
                    continue;
                }

                bool last = offset + take == tokens.Length;
                _parts.Ensure(parts + 1, keep: true);
                _parts[parts] = new MsvStepEntry
                {
                    Tokens = _tokens.At(tokensUsed + offset), Slot = entry.Slot, NTokens = take, AllLogits = entry.AllLogits ? 1 : 0,
                    FirstSample = samples - g.FirstSample, NSamples = last ? entry.Samples.Count : 0,
                };
                if (entry.Continues is { } continued)
                {
                    // The device reads the token, and holds the row back when it is one of the sample's stop tokens.
                    var stops = continued.Sampling.StopTokens;
                    ref var part = ref _parts[parts];
                    part.FromPrevious = SampleOf(previous, continued, e) + 1;
                    part.StopIds = stops.Count > 0 ? _stopIds.At(stopIdsUsed) : 0;
                    part.NStopIds = stops.Count;
                    for (int i = 0; i < stops.Count; i++)
                    {
                        _stopIds[stopIdsUsed++] = stops[i];
                    }
                }

                _partEntry.Add(e);
                if (last)
                {
                    samples = AddTargets(entry, samples, samplers);
                }

                logitRows += entry.AllLogits ? take : 0;
                g.Add(take);
                parts++;
                offset += take;
            }

            tokensUsed += tokens.Length;
        }

        Flush(ref g, parts, samples, logitRows);
    }

    /// <summary>
    /// The index in the previous native step of a target an entry continues: the previous batch must have been one
    /// native step (<see cref="Groups"/>), as the library reads the token from the last step's outputs.
    /// </summary>
    private static int SampleOf(GpuStepBuffers? previous, SampleTarget continued, int entry)
    {
        int index = continued.RunnerIndex;
        if (previous is null || previous._groups.Count != 1 || (uint)index >= (uint)previous._targetRefs.Count ||
            !ReferenceEquals(previous._targetRefs[index], continued))
        {
            throw new InvalidOperationException(
                $"Entry {entry} continues a target that is not one of the last step's: a batch may continue only the batch begun just before it, run as one native step.");
        }

        return index;
    }

    /// <summary>The <c>msv_step</c> of group <paramref name="index"/>: pointers into the buffers at the group's ranges.</summary>
    public MsvStep Step(int index)
    {
        var g = _groups[index];
        _badEntry[0] = -1;
        return new MsvStep
        {
            Entries = _parts.At(g.FirstPart), Samples = _targets.At(g.FirstSample), NEntries = g.Parts, NSamples = g.Samples,
            OutTokens = _outTokens.At(g.FirstSample), OutLogprobs = _outLogprobs.At(g.FirstSample),
            OutTopIds = maxLogprobs > 0 ? _outTopIds.At(g.FirstSample * maxLogprobs) : 0,
            OutTopLogprobs = maxLogprobs > 0 ? _outTopLogprobs.At(g.FirstSample * maxLogprobs) : 0,
            OutLogits = g.LogitRows > 0 ? _outLogits.At(g.FirstLogitRow * logitsWidth) : 0,
            OutBadEntry = _badEntry.At(0),
        };
    }

    /// <summary>The part (within its group) a refused call blamed, or -1.</summary>
    public int BadPart => _badEntry[0];

    /// <summary>Writes every target's token and every all-logits entry's rows into the batch.</summary>
    public void ReadResults(StepBatch batch)
    {
        var entries = batch.Entries;
        for (int e = 0; e < entries.Count; e++)
        {
            var entry = entries[e];
            if (entry.AllLogits)
            {
                entry.SetLogits(_outLogits.Array.AsMemory(_entryLogitRow[e] * logitsWidth, entry.Tokens.Length * logitsWidth));
            }

            for (int k = 0; k < entry.Samples.Count; k++)
            {
                int i = _entrySample[e] + k;
                var target = entry.Samples[k];
                target.SetChosen(new ChosenToken(_outTokens[i], _outLogprobs[i], Top(i, _stagedSamplings[i].TopCount)));
            }
        }
    }

    private IReadOnlyList<(int TokenId, float Logprob)> Top(int sample, int count)
    {
        count = Math.Min(count, maxLogprobs);
        if (count == 0)
        {
            return [];
        }

        var top = new List<(int, float)>(count);
        for (int j = 0; j < count; j++)
        {
            int id = _outTopIds[sample * maxLogprobs + j];
            if (id >= 0)
            {
                top.Add((id, _outTopLogprobs[sample * maxLogprobs + j]));
            }
        }

        return top;
    }

    private int AddTargets(StepEntry entry, int samples, GpuSamplerSlots samplers)
    {
        for (int k = 0; k < entry.Samples.Count; k++, samples++)
        {
            var (sampling, reset, position) = samplers.Stage(entry.Samples[k]);
            entry.Samples[k].RunnerIndex = samples;
            _targetRefs.Add(entry.Samples[k]);
            _samplings[samples] = sampling.For(entry.Samples[k], sampleableVocab);
            _stagedSamplings.Add(sampling);
            _targets[samples] = new MsvSampleTarget
            {
                Slot = entry.Samples[k].Slot, Reset = reset ? 1 : 0, Position = position, Sampling = _samplings.At(samples),
            };
        }

        return samples;
    }

    private void Flush(ref GroupBuilder g, int parts, int samples, int logitRows)
    {
        if (parts > g.FirstPart)
        {
            _groups.Add(new StepGroup(g.FirstPart, parts - g.FirstPart, g.FirstSample, samples - g.FirstSample, g.FirstLogitRow, logitRows - g.FirstLogitRow));
        }

        g = new GroupBuilder { FirstPart = parts, FirstSample = samples, FirstLogitRow = logitRows };
    }

    /// <summary>Room for the whole batch before any pointer is taken (pointers into a buffer must not move).</summary>
    private void Reserve(StepBatch batch)
    {
        int samples = 0, logitRows = 0;
        var entries = batch.Entries;
        for (int e = 0; e < entries.Count; e++)
        {
            samples += entries[e].Samples.Count;
            logitRows += entries[e].AllLogits ? entries[e].Tokens.Length : 0;
        }

        _tokens.Ensure(batch.TokenCount);
        int stopIds = 0;
        for (int e = 0; e < entries.Count; e++)
        {
            stopIds += entries[e].Continues?.Sampling.StopTokens.Count ?? 0;
        }

        _stopIds.Ensure(stopIds);
        _targets.Ensure(samples);
        _samplings.Ensure(samples);
        _outTokens.Ensure(samples);
        _outLogprobs.Ensure(samples);
        _outTopIds.Ensure(samples * maxLogprobs);
        _outTopLogprobs.Ensure(samples * maxLogprobs);
        _outLogits.Ensure(logitRows * logitsWidth);
        if (_entrySample.Length < entries.Count)
        {
            _entrySample = new int[entries.Count * 2];
            _entryLogitRow = new int[entries.Count * 2];
        }
    }

    private struct GroupBuilder
    {
        public int FirstPart, FirstSample, FirstLogitRow, Tokens, Decodes;

        public void Add(int tokens)
        {
            Tokens += tokens;
            Decodes += tokens == 1 ? 1 : 0;
        }
    }
}
