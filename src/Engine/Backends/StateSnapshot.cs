namespace MambaServe.Engine.Backends;

/// <summary>
/// A copy of one slot's recurrent state on the host, in fp32: conv [layers, d_inner, d_conv-1] and
/// ssm [layers, d_inner, d_state]. Immutable by convention once taken (the prefix cache shares them).
/// </summary>
public sealed class StateSnapshot(float[] conv, float[] ssm)
{
    public float[] Conv { get; } = conv;
    public float[] Ssm { get; } = ssm;

    /// <summary>Bytes held, for byte-bounded caches.</summary>
    public long SizeInBytes => (Conv.LongLength + Ssm.LongLength) * sizeof(float);
}
