using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Sampling;

/// <summary>Makes the chooser of one sample. The production one is <see cref="SamplerTokenChooserFactory"/>.</summary>
public interface ITokenChooserFactory
{
    ITokenChooser Create(SequenceSampling sampling);
}
