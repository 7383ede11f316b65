namespace MambaServe.Engine.Gpu.Tests.Interop.ModelApi;

/// <summary>A managed <c>msv_step_entry</c> with its targets.</summary>
internal sealed record EntryRequest(int Slot, int[] Tokens, bool AllLogits = false, SampleRequest[]? Samples = null)
{
    public SampleRequest[] Targets => Samples ?? [];
}
