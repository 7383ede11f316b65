using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Cpu;

/// <summary>
/// One slot's state copied to host arrays, fp32 whatever the pool's SSM dtype (bf16 widens exactly):
/// conv [layers, d_inner, d_conv-1] and ssm [layers, d_inner, d_state].
/// </summary>
internal sealed class CpuStateSnapshot(float[] conv, float[] ssm) : IStateSnapshot
{
    private float[]? _conv = conv;
    private float[]? _ssm = ssm;

    public float[] Conv => _conv ?? throw new ObjectDisposedException(nameof(CpuStateSnapshot));

    public float[] Ssm => _ssm ?? throw new ObjectDisposedException(nameof(CpuStateSnapshot));

    public long SizeInBytes { get; } = (conv.LongLength + ssm.LongLength) * sizeof(float);

    public void Dispose()
    {
        _conv = null;
        _ssm = null;
    }
}
