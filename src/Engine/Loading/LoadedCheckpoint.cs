namespace MambaServe.Engine.Loading;

/// <summary>A checkpoint read from <paramref name="Directory"/>: its normalised config and fp32 host weights.</summary>
public sealed record LoadedCheckpoint(string Directory, MambaConfig Config, MambaWeights Weights);
