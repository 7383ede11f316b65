using MambaServe.Engine.Gpu.Interop;
using MambaServe.Engine.Interop;
using MambaServe.Engine.Loading;

namespace MambaServe.Engine.Gpu.Tests.Interop.ModelApi;

/// <summary>An <c>msv_model</c> of libmambaserve_cpu (the fp32 reference) with its tensors set and its pool allocated.</summary>
internal sealed class RefModel : IDisposable
{
    private RefModel(ModelHandle handle, MsvModelConfig config)
    {
        Handle = handle;
        Config = config;
    }

    public ModelHandle Handle { get; }

    public MsvModelConfig Config { get; }

    public static MsvModelConfig ConfigFor(MambaConfig c, MsvDtype stateDtype = MsvDtype.F32) => MsvModelConfig.ShapeOf(c) with
    {
        WeightDtype = MsvDtype.F32, StateDtype = stateDtype, MaxStepTokens = 4096, MaxDecodeBatch = 64, MaxLogprobs = 20,
    };

    /// <summary>Creates the model (throws <see cref="NativeKernelException"/> on a refused config), no tensors yet.</summary>
    public static RefModel Create(MsvModelConfig config)
    {
        NativeStatus.Check(ModelNativeMethods.ModelCreate(in config, out var handle));
        return new RefModel(handle, config);
    }

    /// <summary>A checkpoint's model with every tensor set, finalized, with a pool of <paramref name="slots"/>.</summary>
    public static RefModel FromCheckpoint(LoadedCheckpoint checkpoint, int slots = 8, MsvDtype stateDtype = MsvDtype.F32)
    {
        var c = checkpoint.Config;
        var model = Create(ConfigFor(c, stateDtype));
        var w = checkpoint.Weights;
        model.SetTensor(MsvTensor.Embedding, 0, w.Embedding);
        model.SetTensor(MsvTensor.NormF, 0, w.NormF);
        if (!c.TieEmbeddings) model.SetTensor(MsvTensor.LmHead, 0, w.LmHead);
        for (var l = 0; l < c.NLayer; l++)
        {
            var lw = w.Layers[l];
            model.SetTensor(MsvTensor.Norm, l, lw.Norm);
            model.SetTensor(MsvTensor.InProj, l, lw.InProj);
            if (lw.InProjBias is { } inBias) model.SetTensor(MsvTensor.InProjBias, l, inBias);
            model.SetTensor(MsvTensor.ConvWeight, l, lw.ConvWeight);
            if (lw.ConvBias is { } convBias) model.SetTensor(MsvTensor.ConvBias, l, convBias);
            model.SetTensor(MsvTensor.XProj, l, lw.XProj);
            model.SetTensor(MsvTensor.DtProj, l, lw.DtProj);
            model.SetTensor(MsvTensor.DtProjBias, l, lw.DtProjBias);
            model.SetTensor(MsvTensor.ALog, l, lw.ALog);
            model.SetTensor(MsvTensor.D, l, lw.D);
            model.SetTensor(MsvTensor.OutProj, l, lw.OutProj);
            if (lw.OutProjBias is { } outBias) model.SetTensor(MsvTensor.OutProjBias, l, outBias);
        }
        model.FinalizeWeights();
        model.AllocatePool(slots);
        return model;
    }

    public MsvStatus TrySetTensor(MsvTensor tensor, int layer, float[] values, long? count = null)
    {
        using var arena = new NativeArena();
        return ModelNativeMethods.ModelSetTensor(Handle, tensor, layer, arena.Copy<float>(values), MsvDtype.F32, count ?? values.Length);
    }

    public void SetTensor(MsvTensor tensor, int layer, float[] values) => NativeStatus.Check(TrySetTensor(tensor, layer, values));

    public void FinalizeWeights() => NativeStatus.Check(ModelNativeMethods.ModelFinalize(Handle, out _));

    public void AllocatePool(int slots) => NativeStatus.Check(ModelNativeMethods.ModelAllocatePool(Handle, slots));

    /// <summary>Runs one step; throws <see cref="NativeKernelException"/> when refused.</summary>
    public StepResult Step(params EntryRequest[] entries)
    {
        using var step = new StepBuilder(Config, entries);
        NativeStatus.Check(step.Run(this));
        return step.Result();
    }

    /// <summary>Every position's logits ([tokens, Vocab]) of a chunk run from the slot's state.</summary>
    public float[] Logits(int slot, int[] tokens) => Step(new EntryRequest(slot, tokens, AllLogits: true)).Logits;

    public void CopySlot(int source, int destination) => NativeStatus.Check(ModelNativeMethods.ModelCopySlot(Handle, source, destination));

    public void ZeroSlot(int slot) => NativeStatus.Check(ModelNativeMethods.ModelZeroSlot(Handle, slot));

    public RefSnapshot Snapshot(int slot)
    {
        NativeStatus.Check(ModelNativeMethods.ModelSnapshot(Handle, slot, out var snapshot));
        return new RefSnapshot(snapshot);
    }

    public void Restore(int slot, RefSnapshot snapshot) =>
        NativeStatus.Check(ModelNativeMethods.ModelRestore(Handle, slot, snapshot.Handle));

    public RefSnapshot Import(byte[] bytes)
    {
        using var arena = new NativeArena();
        NativeStatus.Check(ModelNativeMethods.ModelSnapshotFromHost(Handle, arena.Copy<byte>(bytes), bytes.Length, out var snapshot));
        return new RefSnapshot(snapshot);
    }

    public void Dispose()
    {
        Handle.Dispose();
    }
}
