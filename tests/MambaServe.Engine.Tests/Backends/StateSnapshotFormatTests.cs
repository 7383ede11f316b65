using MambaServe.Engine.Backends;
using MambaServe.Engine.Loading;

namespace MambaServe.Engine.Tests.Backends;

public sealed class StateSnapshotFormatTests
{
    private static readonly MambaConfig Config = RandomCheckpoint.Mamba130mShape with { NLayer = 2, DInner = 6, DState = 3, DConv = 4 };

    private static float[] Random(long count) => Enumerable.Range(0, (int)count).Select(_ => System.Random.Shared.NextSingle() - 0.5f).ToArray();

    [Fact]
    public void WriteRead_State_RoundTripsExactly()
    {
        var conv = Random(Config.ConvStateElementsPerSlot);
        var ssm = Random(Config.SsmStateElementsPerSlot);

        var (readConv, readSsm) = StateSnapshotFormat.Read(Config, StateSnapshotFormat.Write(Config, conv, ssm));

        Assert.Equal(conv, readConv);
        Assert.Equal(ssm, readSsm);
    }

    [Fact]
    public void Read_StateOfAnotherShape_SaysWhichShapes()
    {
        var other = Config with { DState = 4 };
        var bytes = StateSnapshotFormat.Write(other, Random(other.ConvStateElementsPerSlot), Random(other.SsmStateElementsPerSlot));

        var ex = Assert.Throws<ArgumentException>(() => StateSnapshotFormat.Read(Config, bytes));

        Assert.Contains("d_state 4", ex.Message);
    }

    [Fact]
    public void Read_TruncatedOrForeignBytes_Throws()
    {
        var bytes = StateSnapshotFormat.Write(Config, Random(Config.ConvStateElementsPerSlot), Random(Config.SsmStateElementsPerSlot));

        Assert.Throws<ArgumentException>(() => StateSnapshotFormat.Read(Config, bytes.AsSpan(0, bytes.Length - 4)));
        Assert.Throws<ArgumentException>(() => StateSnapshotFormat.Read(Config, new byte[bytes.Length]));
    }
}
