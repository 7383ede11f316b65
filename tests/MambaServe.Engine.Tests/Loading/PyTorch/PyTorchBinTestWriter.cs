using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace MambaServe.Engine.Tests.Loading.PyTorch;

/// <summary>
/// Writes <c>torch.save</c>-format archives for tests: a zip with <c>archive/data.pkl</c> (a protocol-2 pickle of a
/// dict of <c>_rebuild_tensor_v2</c> calls over persistent-id storages, as torch writes it) and the raw storages.
/// </summary>
internal static class PyTorchBinTestWriter
{
    /// <param name="TypeName">torch's storage class: FloatStorage, HalfStorage, BFloat16Storage, ...</param>
    public sealed record Storage(string Key, string TypeName, long ElementCount, byte[] Bytes);

    public sealed record View(string Name, string StorageKey, long Offset, long[] Shape, long[] Strides);

    /// <summary>A tensor that owns its storage, contiguous.</summary>
    public static (Storage, View) Contiguous(string name, string key, string typeName, long[] shape, byte[] bytes, int elementSize)
    {
        var strides = new long[shape.Length];
        long stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= shape[d];
        }

        return (new Storage(key, typeName, bytes.Length / elementSize, bytes), new View(name, key, 0, shape, strides));
    }

    /// <param name="omitStorages">Storage keys listed in the index but left out of the archive.</param>
    public static void Write(string path, IEnumerable<Storage> storages, IEnumerable<View> views, IReadOnlySet<string>? omitStorages = null)
    {
        var byKey = storages.ToDictionary(s => s.Key);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        Add(zip, "archive/data.pkl", Pickle(views.ToList(), byKey));
        Add(zip, "archive/byteorder", Encoding.ASCII.GetBytes("little"));
        Add(zip, "archive/version", Encoding.ASCII.GetBytes("3\n"));
        foreach (var storage in byKey.Values.Where(s => omitStorages?.Contains(s.Key) != true))
        {
            Add(zip, $"archive/data/{storage.Key}", storage.Bytes);
        }
    }

    private static void Add(ZipArchive zip, string name, byte[] bytes)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        stream.Write(bytes);
    }

    private static byte[] Pickle(List<View> views, Dictionary<string, Storage> storages)
    {
        var p = new MemoryStream();
        p.Write([0x80, 2, (byte)'}', (byte)'(']); // PROTO 2, EMPTY_DICT, MARK
        foreach (var view in views)
        {
            var storage = storages[view.StorageKey];
            Unicode(p, view.Name);
            Global(p, "torch._utils", "_rebuild_tensor_v2");
            p.WriteByte((byte)'(');
            p.WriteByte((byte)'(');
            Unicode(p, "storage");
            Global(p, "torch", storage.TypeName);
            Unicode(p, storage.Key);
            Unicode(p, "cpu");
            Int(p, storage.ElementCount);
            p.Write([(byte)'t', (byte)'Q']); // TUPLE, BINPERSID
            Int(p, view.Offset);
            Tuple(p, view.Shape);
            Tuple(p, view.Strides);
            p.WriteByte(0x89); // NEWFALSE: requires_grad
            Global(p, "collections", "OrderedDict");
            p.Write([(byte)')', (byte)'R', (byte)'t', (byte)'R']); // EMPTY_TUPLE, REDUCE (hooks), TUPLE, REDUCE
        }

        p.Write([(byte)'u', (byte)'.']); // SETITEMS, STOP
        return p.ToArray();
    }

    private static void Unicode(MemoryStream p, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        p.WriteByte((byte)'X');
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        p.Write(length);
        p.Write(bytes);
    }

    private static void Global(MemoryStream p, string module, string name) =>
        p.Write(Encoding.ASCII.GetBytes($"c{module}\n{name}\n"));

    private static void Int(MemoryStream p, long value)
    {
        p.WriteByte((byte)'J'); // BININT: signed 32-bit
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, checked((int)value));
        p.Write(bytes);
    }

    private static void Tuple(MemoryStream p, long[] values)
    {
        p.WriteByte((byte)'(');
        foreach (var v in values)
        {
            Int(p, v);
        }

        p.WriteByte((byte)'t');
    }
}
