using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Scheduling;

/// <summary>Makes one <see cref="ITextStream"/> per sample (the stop strings come from <see cref="SamplingParams.Stop"/>).</summary>
public interface ITextStreamFactory
{
    ITextStream Create(SamplingParams sampling);
}
