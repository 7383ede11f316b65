namespace MambaServe.Engine.Gpu.Tests.Interop.ModelApi;

/// <summary>A managed <c>msv_sample_target</c>: a slot other than its entry's is a fork.</summary>
internal sealed record SampleRequest(int Slot, SamplingSpec Sampling, bool Reset = true, int Position = 0);
