using MambaServe.Engine.Gpu.Interop;
using MambaServe.Engine.Gpu.Tests.Infrastructure;
using MambaServe.Engine.Interop;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Gpu.Tests.Interop.ModelApi;

/// <summary>The msv_model_* calls other than the step: bad configs, tensors, order of calls, slots and snapshots.</summary>
public sealed class RefModelArgumentTests
{
    private static MsvModelConfig TinyA => RefModel.ConfigFor(Checkpoints.Load(ReferenceSet.ModelDir("tiny-a")).Config);

    [Theory]
    [InlineData("d_model", "msv_model_create: d_model must be > 0, got 0", (int)MsvStatus.InvalidArgument)]
    [InlineData("sampleable", "msv_model_create: sampleable_vocab must be <= vocab (512), got 513", (int)MsvStatus.InvalidArgument)]
    [InlineData("state fp16", "msv_model_create: state_dtype must be MSV_F32 or MSV_BF16, got 1", (int)MsvStatus.InvalidArgument)]
    [InlineData("eps", "msv_model_create: norm_eps must be finite and >= 0, got -1", (int)MsvStatus.InvalidArgument)]
    [InlineData("max_logprobs", "msv_model_create: max_logprobs must be in [0, 1024], got 2000", (int)MsvStatus.InvalidArgument)]
    [InlineData("flag", "msv_model_create: tie_embeddings must be 0 or 1, got 2", (int)MsvStatus.InvalidArgument)]
    [InlineData("mixer flag", "msv_model_create: mixer_rms must be 0 or 1, got 2", (int)MsvStatus.InvalidArgument)]
    [InlineData("mixer eps", "msv_model_create: mixer_rms_eps must be finite and >= 0, got -1", (int)MsvStatus.InvalidArgument)]
    [InlineData("bf16 weights", "msv_model_create: the cpu library runs the fp32 reference model, so weight_dtype must be MSV_F32, got 2", (int)MsvStatus.Unsupported)]
    public void Create_BadConfig_RefusedNamingTheField(string scenario, string message, int status)
    {
        var c = TinyA;
        switch (scenario)
        {
            case "d_model": c.DModel = 0; break;
            case "sampleable": c.SampleableVocab = 513; break;
            case "state fp16": c.StateDtype = MsvDtype.F16; break;
            case "eps": c.NormEps = -1f; break;
            case "max_logprobs": c.MaxLogprobs = 2000; break;
            case "flag": c.TieEmbeddings = 2; break;
            case "mixer flag": c.MixerRms = 2; break;
            case "mixer eps": c.MixerRms = 1; c.MixerRmsEps = -1f; break;
            case "bf16 weights": c.WeightDtype = MsvDtype.BF16; break;
            default: throw new ArgumentOutOfRangeException(nameof(scenario), scenario, "unknown scenario");
        }

        var ex = Assert.Throws<NativeKernelException>(() => RefModel.Create(c));

        Assert.Equal((MsvStatus)status, ex.Status);
        Assert.Equal(message, ex.NativeMessage);
    }

    [Fact]
    public void SetTensorAndFinalize_BadTensorsAndOrder_RefusedNamingTheTensor()
    {
        using var m = RefModel.Create(TinyA);
        var inProj = new float[2 * 128 * 64];

        AssertRefused("msv_model_set_tensor: t is not a valid msv_tensor: 7", m.TrySetTensor((MsvTensor)7, 0, inProj));
        AssertRefused("msv_model_set_tensor: MSV_T_LM_HEAD: this model has no such tensor", m.TrySetTensor(MsvTensor.LmHead, 0, inProj));
        AssertRefused("msv_model_set_tensor: MSV_T_NORM: layer 2 out of range [0, 2)", m.TrySetTensor(MsvTensor.Norm, 2, new float[64]));
        AssertRefused("msv_model_set_tensor: MSV_T_IN_PROJ: count must be 16384, got 16383", m.TrySetTensor(MsvTensor.InProj, 1, inProj, 16383));
        AssertRefused("msv_model_step: no state pool yet", ModelNativeMethods.ModelStep(m.Handle, default(MsvStep)));
        AssertRefused("msv_model_allocate_pool: the model is not finalized", ModelNativeMethods.ModelAllocatePool(m.Handle, 4));
        m.SetTensor(MsvTensor.InProj, 1, inProj);
        AssertRefused("msv_model_finalize: MSV_T_EMBEDDING was never set", ModelNativeMethods.ModelFinalize(m.Handle, out _));
    }

    [Fact]
    public void FinalizedModel_SecondFinalizeSetTensorOrPool_Refused()
    {
        using var m = ReferenceRows.Load("tiny-a", 4);

        AssertRefused("msv_model_finalize: the model is already finalized", ModelNativeMethods.ModelFinalize(m.Handle, out _));
        AssertRefused("msv_model_set_tensor: the model is already finalized", m.TrySetTensor(MsvTensor.NormF, 0, new float[64]));
        AssertRefused("msv_model_allocate_pool: the pool is already allocated", ModelNativeMethods.ModelAllocatePool(m.Handle, 4));
    }

    [Fact]
    public void SlotsAndSnapshots_OutOfRangeOrForeign_Refused()
    {
        using var m = ReferenceRows.Load("tiny-a", 4);
        using var other = ReferenceRows.Load("tiny-a", 4);
        using var foreign = other.Snapshot(0);
        using var own = m.Snapshot(1);
        var bytes = own.Export();
        bytes[0] ^= 0xff;

        AssertRefused("msv_model_copy_slot: dst 4 out of range [0, 4)", ModelNativeMethods.ModelCopySlot(m.Handle, 0, 4));
        AssertRefused("msv_model_zero_slot: slot -1 out of range [0, 4)", ModelNativeMethods.ModelZeroSlot(m.Handle, -1));
        AssertRefused("msv_model_snapshot: slot 9 out of range [0, 4)", ModelNativeMethods.ModelSnapshot(m.Handle, 9, out _));
        AssertRefused("msv_model_restore: the snapshot belongs to another model", ModelNativeMethods.ModelRestore(m.Handle, 0, foreign.Handle));
        AssertRefused($"msv_snapshot_read: bytes must be {own.Bytes}, got 10", ModelNativeMethods.SnapshotRead(own.Handle, 1, 10));
        var ex = Assert.Throws<NativeKernelException>(() => m.Import(bytes));
        Assert.Equal("msv_model_snapshot_from_host: not a snapshot export (bad magic)", ex.NativeMessage);
        ex = Assert.Throws<NativeKernelException>(() => m.Import(bytes[..^4]));
        Assert.StartsWith($"msv_model_snapshot_from_host: bytes must be {own.Bytes} for this model, got {own.Bytes - 4}", ex.NativeMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void DeviceQuery_CpuLibrary_NoDevicesAndSaysWhy()
    {
        Assert.Equal(MsvStatus.Ok, ModelNativeMethods.DeviceQuery(0, out var info));
        Assert.Equal(0, info.Count);
        Assert.Equal("cpu library", info.Reason);
        AssertRefused("msv_device_query: device must be >= 0, got -1", ModelNativeMethods.DeviceQuery(-1, out _));
    }

    [Fact]
    public void Memory_TinyA_SlotBytesAreStatePlusSamplerState()
    {
        using var m = ReferenceRows.Load("tiny-a", 2);
        var c = Checkpoints.Load(ReferenceSet.ModelDir("tiny-a")).Config;

        NativeStatus.Check(ModelNativeMethods.ModelMemory(m.Handle, out var perSlot, out var free));

        Assert.Equal((c.ConvStateElementsPerSlot + c.SsmStateElementsPerSlot) * 4 + c.UnpaddedVocabSize * 5L, perSlot);
        Assert.True(free > 0);
    }

    private static void AssertRefused(string messageStart, MsvStatus status)
    {
        Assert.NotEqual(MsvStatus.Ok, status);
        Assert.StartsWith(messageStart, NativeStatus.LastError(), StringComparison.Ordinal);
    }
}
