using MambaServe.Engine.Backends;
using MambaServe.Engine.Gpu.Interop;
using MambaServe.Engine.Interop;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.State;

namespace MambaServe.Engine.Gpu;

/// <summary>
/// Builds an <c>msv_model</c> from a weight source: creates it when the first tensor arrives (auto's weight type
/// follows the stored one), hands every tensor to <c>msv_model_set_tensor</c> in its stored dtype straight from the
/// source's bytes (a memory map for safetensors: no fp32 copy of the model on the host; the library converts on the
/// device), finalizes, sizes and allocates the pool. Out of memory names the sizes.
/// </summary>
internal static unsafe class GpuModelLoader
{
    /// <summary>Default for <see cref="RunnerOptions.MaxStepTokens"/>.</summary>
    public const int DefaultMaxStepTokens = 4096;

    public static (ModelHandle Model, GpuModelSettings Settings) Load(RunnerOptions options, GpuDevice device)
    {
        var config = options.Config;
        var requested = WeightDTypes.Requested(options.DType, device.IsReference);
        var stateDtype = options.StatePool.SsmStateDType == StateDType.BFloat16 ? MsvDtype.BF16 : MsvDtype.F32;
        int cap = GpuPoolSizing.Cap(options.StatePool, options.StatePool.BytesPerSlot(config));
        int maxStepTokens = Math.Max(options.MaxStepTokens ?? DefaultMaxStepTokens, 1);
        var native = MsvModelConfig.ShapeOf(config) with
        {
            SampleableVocab = options.SampleableVocab, StateDtype = stateDtype,
            // A step decodes at most one token per slot and carries at most max_step_tokens: the decode batch (and the
            // graphs captured for it) never needs to be larger than either.
            MaxStepTokens = maxStepTokens, MaxDecodeBatch = Math.Min(cap, maxStepTokens),
            MaxLogprobs = SamplingParamsValidator.MaxLogprobs, Device = device.Index, UseGraphs = device.IsReference ? 0 : 1,
        };

        ModelHandle? model = null;
        try
        {
            options.Weights.Stream(tensor =>
            {
                if (model is null)
                {
                    native.WeightDtype = requested ?? WeightDTypes.ForStored(tensor.DType);
                    model = Create(native, config, device);
                }

                SetTensor(model, tensor);
            });
            if (model is null)
            {
                throw new CheckpointException("The checkpoint streamed no tensors.");
            }

            NativeStatus.Check(ModelNativeMethods.ModelFinalize(model, out long weightBytes));
            int slots = AllocatePool(model, options.StatePool, cap, device, weightBytes, out long bytesPerSlot);
            return (model, new GpuModelSettings(native.WeightDtype, stateDtype, slots, weightBytes, bytesPerSlot,
                native.MaxStepTokens, Math.Min(native.MaxDecodeBatch, slots), native.MaxLogprobs, native.SampleableVocab));
        }
        catch
        {
            model?.Dispose();
            throw;
        }
    }

    private static ModelHandle Create(in MsvModelConfig native, MambaConfig config, GpuDevice device)
    {
        var status = ModelNativeMethods.ModelCreate(in native, out var model);
        if (status == MsvStatus.Ok)
        {
            return model;
        }

        var message = NativeStatus.LastError();
        model.Dispose();
        if (status == MsvStatus.OutOfMemory)
        {
            long need = GpuPoolSizing.WeightBytes(config, WeightDTypes.Size(native.WeightDtype));
            throw new InsufficientMemoryException(
                $"The model does not fit on {device.Name}: its {WeightDTypes.Name(native.WeightDtype)} weights take about {Units.Bytes(need)} " +
                $"before any state slot ({message}).");
        }

        throw new NativeKernelException(status, message);
    }

    private static void SetTensor(ModelHandle model, CheckpointTensor tensor)
    {
        fixed (byte* data = tensor.Data)
        {
            var status = ModelNativeMethods.ModelSetTensor(model, (MsvTensor)tensor.Role, Math.Max(tensor.Layer, 0), (nint)data,
                WeightDTypes.Source(tensor.DType), tensor.ElementCount);
            if (status != MsvStatus.Ok)
            {
                throw new NativeKernelException(status, $"{tensor.Name}: {NativeStatus.LastError()}");
            }
        }
    }

    private static int AllocatePool(ModelHandle model, StatePoolOptions pool, int cap, GpuDevice device, long weightBytes, out long bytesPerSlot)
    {
        NativeStatus.Check(ModelNativeMethods.ModelMemory(model, out bytesPerSlot, out long freeBytes));
        int slots = GpuPoolSizing.Resolve(pool, cap, bytesPerSlot, freeBytes, device.Name);
        var status = ModelNativeMethods.ModelAllocatePool(model, slots);
        if (status == MsvStatus.OutOfMemory)
        {
            throw new InsufficientMemoryException(
                $"A state pool of {slots} slots x {Units.Bytes(bytesPerSlot)} = {Units.Bytes(slots * bytesPerSlot)} does not fit on {device.Name}: " +
                $"{Units.Bytes(freeBytes)} free after {Units.Bytes(weightBytes)} of weights. Lower StatePool:SlotCount ({NativeStatus.LastError()}).");
        }

        NativeStatus.Check(status);
        return slots;
    }
}
