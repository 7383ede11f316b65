using MambaServe.Engine.Backends;
using MambaServe.Engine.Loading;
using MambaServe.Engine.State;

namespace MambaServe.Engine.Tests.Backends;

public sealed class StateSnapshotFormatTests
{
    private static readonly MambaConfig Config = RandomCheckpoint.Mamba130mShape with { NLayer = 2, DInner = 6, DState = 3, DConv = 4 };

    private static float[] Random(long count) => Enumerable.Range(0, (int)count).Select(_ => System.Random.Shared.NextSingle() - 0.5f).ToArray();

    [Fact]
    public void WriteRead_Fp32State_RoundTripsExactly()
    {
        var conv = Random(Config.ConvStateElementsPerSlot);
        var ssm = Random(Config.SsmStateElementsPerSlot);

        var bytes = StateSnapshotFormat.Write(Config, StateDType.Float32, conv, ssm);
        var (readConv, readSsm) = StateSnapshotFormat.Read(Config, StateDType.Float32, bytes);

        Assert.Equal(conv, readConv);
        Assert.Equal(ssm, readSsm);
        Assert.Equal("MSVSNAP1"u8.ToArray(), bytes[..8]);
        Assert.Equal(StateSnapshotFormat.Size(Config, StateDType.Float32), bytes.Length);
    }

    [Fact]
    public void WriteRead_Bf16State_StoresBf16AndRoundsToNearest()
    {
        var conv = Random(Config.ConvStateElementsPerSlot);
        var ssm = Random(Config.SsmStateElementsPerSlot);

        var bytes = StateSnapshotFormat.Write(Config, StateDType.BFloat16, conv, ssm);
        var (readConv, readSsm) = StateSnapshotFormat.Read(Config, StateDType.BFloat16, bytes);

        Assert.Equal(32 + conv.Length * 4 + ssm.Length * 2, bytes.Length);
        Assert.Equal(conv, readConv);
        Assert.All(ssm.Zip(readSsm), p => Assert.True(MathF.Abs(p.First - p.Second) <= MathF.Abs(p.First) / 256f, $"{p.First} -> {p.Second}"));
        Assert.Throws<ArgumentException>(() => StateSnapshotFormat.Read(Config, StateDType.Float32, bytes));
    }

    [Fact]
    public void Read_StateOfAnotherShape_SaysWhichShapes()
    {
        var other = Config with { DState = 4 };
        var bytes = StateSnapshotFormat.Write(other, StateDType.Float32, Random(other.ConvStateElementsPerSlot), Random(other.SsmStateElementsPerSlot));

        var ex = Assert.Throws<ArgumentException>(() => StateSnapshotFormat.Read(Config, StateDType.Float32, bytes));

        Assert.Contains("d_state 4", ex.Message);
    }

    [Fact]
    public void Read_TruncatedOrForeignBytes_Throws()
    {
        var bytes = StateSnapshotFormat.Write(Config, StateDType.Float32, Random(Config.ConvStateElementsPerSlot), Random(Config.SsmStateElementsPerSlot));

        Assert.Throws<ArgumentException>(() => StateSnapshotFormat.Read(Config, StateDType.Float32, bytes.AsSpan(0, bytes.Length - 4)));
        Assert.Throws<ArgumentException>(() => StateSnapshotFormat.Read(Config, StateDType.Float32, new byte[bytes.Length]));
    }
}
