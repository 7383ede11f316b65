using MambaServe.Engine.Gpu.Interop;
using MambaServe.Engine.Interop;

namespace MambaServe.Engine.Gpu.Tests.Interop.ModelApi;

/// <summary>
/// Lays one step out in unmanaged memory as <c>msv_model_step</c> reads it. Tests that check validation change
/// <see cref="Raw"/>, <see cref="Entry"/>, <see cref="Target"/> or <see cref="Sampling"/> before <see cref="Run"/>.
/// </summary>
internal sealed unsafe class StepBuilder : IDisposable
{
    private readonly NativeArena _arena = new();
    private readonly nint[] _samplings;
    private readonly int _topWidth;
    private readonly int _vocab;
    private readonly int _logitRows;
    private MsvStep _step;

    public StepBuilder(MsvModelConfig config, IReadOnlyList<EntryRequest> entries)
    {
        _topWidth = config.MaxLogprobs;
        _vocab = config.Vocab;
        var targets = entries.SelectMany(e => e.Targets).ToArray();
        _samplings = [.. targets.Select(t => _arena.Copy([t.Sampling.ToNative(_arena)]))];
        var nativeEntries = new MsvStepEntry[entries.Count];
        var nativeTargets = new MsvSampleTarget[targets.Length];
        var next = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            nativeEntries[i] = new MsvStepEntry
            {
                Tokens = _arena.Copy<int>(e.Tokens), Slot = e.Slot, NTokens = e.Tokens.Length,
                AllLogits = e.AllLogits ? 1 : 0, FirstSample = next, NSamples = e.Targets.Length,
            };
            foreach (var t in e.Targets)
            {
                nativeTargets[next] = new MsvSampleTarget
                {
                    Slot = t.Slot, Reset = t.Reset ? 1 : 0, Position = t.Position, Sampling = _samplings[next],
                };
                next++;
            }
        }
        _logitRows = entries.Where(e => e.AllLogits).Sum(e => e.Tokens.Length);
        _step = new MsvStep
        {
            Entries = _arena.Copy<MsvStepEntry>(nativeEntries), Samples = _arena.Copy<MsvSampleTarget>(nativeTargets),
            NEntries = entries.Count, NSamples = targets.Length,
            OutTokens = _arena.Alloc<int>(targets.Length), OutLogprobs = _arena.Alloc<float>(targets.Length),
            OutTopIds = _topWidth > 0 ? _arena.Alloc<int>(targets.Length * _topWidth) : 0,
            OutTopLogprobs = _topWidth > 0 ? _arena.Alloc<float>(targets.Length * _topWidth) : 0,
            OutLogits = _logitRows > 0 ? _arena.Alloc<float>(_logitRows * _vocab) : 0,
            OutBadEntry = _arena.Alloc<int>(1),
        };
    }

    public ref MsvStep Raw => ref _step;

    public ref MsvStepEntry Entry(int i) => ref ((MsvStepEntry*)_step.Entries)[i];

    public ref MsvSampleTarget Target(int i) => ref ((MsvSampleTarget*)_step.Samples)[i];

    public ref MsvSampling Sampling(int i) => ref *(MsvSampling*)_samplings[i];

    /// <summary>A copy of <paramref name="values"/> that lives as long as the step (for pointers a test swaps in).</summary>
    public nint Copy<T>(ReadOnlySpan<T> values)
        where T : unmanaged => _arena.Copy(values);

    /// <summary>The entry msv_model_step blamed (-1: none or the step itself).</summary>
    public int BadEntry => *(int*)_step.OutBadEntry;

    public MsvStatus Run(RefModel model) => ModelNativeMethods.ModelStep(model.Handle, in _step);

    public StepResult Result()
    {
        var n = _step.NSamples;
        return new StepResult(
            NativeArena.View<int>(_step.OutTokens, n).ToArray(),
            NativeArena.View<float>(_step.OutLogprobs, n).ToArray(),
            _topWidth > 0 ? NativeArena.View<int>(_step.OutTopIds, n * _topWidth).ToArray() : [],
            _topWidth > 0 ? NativeArena.View<float>(_step.OutTopLogprobs, n * _topWidth).ToArray() : [],
            _topWidth,
            _logitRows > 0 ? NativeArena.View<float>(_step.OutLogits, _logitRows * _vocab).ToArray() : []);
    }

    public void Dispose() => _arena.Dispose();
}
