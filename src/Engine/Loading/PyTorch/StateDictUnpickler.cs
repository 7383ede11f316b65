using System.Collections;
using System.Globalization;
using Razorvine.Pickle;
using Razorvine.Pickle.Objects;

namespace MambaServe.Engine.Loading.PyTorch;

/// <summary>
/// Reads the <c>data.pkl</c> of a <c>torch.save</c> archive: a dict (or OrderedDict) of name to tensor, where each
/// tensor is a call to <c>torch._utils._rebuild_tensor_v2(storage, offset, shape, strides, ...)</c> and each storage a
/// persistent id <c>("storage", torch.FloatStorage, key, location, element count)</c>. Those calls are mapped to
/// <see cref="PickledTensor"/> and <see cref="PickledStorage"/>; no Python code runs, and any other callable in the
/// pickle is refused by Razorvine (it builds plain dictionaries, and only for calls without arguments).
/// </summary>
internal sealed class StateDictUnpickler : Unpickler
{
    static StateDictUnpickler()
    {
        // Razorvine keeps constructors in one process-wide table. These names are torch's own and mean the same in
        // every torch pickle, so registering them once, here, is safe.
        registerConstructor("torch._utils", "_rebuild_tensor_v2", new RebuildTensor());
        registerConstructor("torch._utils", "_rebuild_tensor", new RebuildTensor());
        registerConstructor("torch._utils", "_rebuild_parameter", new RebuildParameter());
        registerConstructor("collections", "OrderedDict", new OrderedDictConstructor());
    }

    /// <summary>The pickled root object: a <see cref="Hashtable"/> for a state dict.</summary>
    public static object? Read(Stream pickle)
    {
        using var unpickler = new StateDictUnpickler();
        return unpickler.load(pickle);
    }

    protected override object persistentLoad(object pid)
    {
        if (pid is not object[] { Length: >= 5 } id || id[0] is not "storage" || id[2] is not string key)
        {
            throw new PickleException($"unsupported persistent id {Describe(pid)}; expected a torch storage");
        }

        var typeName = id[1] is ClassDictConstructor type ? type.name : Describe(id[1]);
        TensorDType? dtype = typeName switch
        {
            "FloatStorage" => TensorDType.Float32,
            "HalfStorage" => TensorDType.Float16,
            "BFloat16Storage" => TensorDType.BFloat16,
            _ => null,
        };
        return new PickledStorage(key, typeName, dtype, ToInt64(id[4]));
    }

    private static long ToInt64(object? value) => Convert.ToInt64(value, CultureInfo.InvariantCulture);

    private static long[] ToInt64s(object? tuple) =>
        tuple is object[] items ? items.Select(ToInt64).ToArray() : throw new PickleException($"expected a tuple of integers, got {Describe(tuple)}");

    private static string Describe(object? value) => value?.GetType().Name ?? "None";

    /// <summary>_rebuild_tensor_v2(storage, offset, shape, strides, requires_grad, hooks[, metadata]) and v1's first four.</summary>
    private sealed class RebuildTensor : IObjectConstructor
    {
        public object construct(object[] args)
        {
            if (args.Length < 4 || args[0] is not PickledStorage storage)
            {
                throw new PickleException("_rebuild_tensor called without a storage");
            }

            var shape = ToInt64s(args[2]);
            var strides = ToInt64s(args[3]);
            if (shape.Length != strides.Length || shape.Any(s => s < 0) || strides.Any(s => s < 0))
            {
                throw new PickleException($"tensor of storage '{storage.Key}' has shape [{string.Join(", ", shape)}] and strides [{string.Join(", ", strides)}]");
            }

            return new PickledTensor(storage, ToInt64(args[1]), shape, strides);
        }
    }

    /// <summary>_rebuild_parameter(data, requires_grad, hooks): an nn.Parameter saved in a state dict is its tensor.</summary>
    private sealed class RebuildParameter : IObjectConstructor
    {
        public object construct(object[] args) =>
            args.Length > 0 && args[0] is PickledTensor tensor ? tensor : throw new PickleException("_rebuild_parameter called without a tensor");
    }

    private sealed class OrderedDictConstructor : IObjectConstructor
    {
        public object construct(object[] args) => new PickledOrderedDict();
    }

    /// <summary>
    /// An OrderedDict is filled like a dict; its instance state (a state dict's <c>_metadata</c>: module versions) is
    /// not needed and is dropped.
    /// </summary>
    private sealed class PickledOrderedDict : Hashtable
    {
        // Called by name by Razorvine's BUILD opcode.
#pragma warning disable CA1822, IDE0060
        public void __setstate__(Hashtable state)
        {
        }
#pragma warning restore CA1822, IDE0060
    }
}
