using System.Collections;
using System.IO.Compression;
using System.Text;
using Razorvine.Pickle;

namespace MambaServe.Engine.Loading.PyTorch;

/// <summary>
/// A <c>pytorch_model.bin</c> as <c>torch.save</c> writes it since PyTorch 1.6: a zip archive holding
/// <c>{prefix}/data.pkl</c> (the state dict, pickled with persistent ids for its storages) and each storage's raw
/// little-endian bytes as <c>{prefix}/data/{key}</c>. The index is read and every tensor checked against its storage
/// on open, so a truncated or repacked file fails here, naming the file and the tensor; storages are read only when a
/// tensor is asked for. Written by hand over Razorvine.Pickle because the only other .NET reader needs TorchSharp,
/// which a GPU deployment must not ship.
/// </summary>
internal sealed class PyTorchBinFile : IDisposable
{
    private readonly ZipArchive _zip;
    private readonly string _prefix;
    private readonly Dictionary<string, PickledTensor> _tensors;

    private PyTorchBinFile(string path, ZipArchive zip, string prefix, Dictionary<string, PickledTensor> tensors)
    {
        Path = path;
        _zip = zip;
        _prefix = prefix;
        _tensors = tensors;
    }

    public string Path { get; }

    public IReadOnlyCollection<string> Names => _tensors.Keys;

    public IReadOnlyDictionary<string, PickledTensor> Tensors => _tensors;

    public static PyTorchBinFile Open(string path)
    {
        var zip = OpenZip(path);
        try
        {
            var index = FindIndex(path, zip);
            var prefix = index.FullName[..^"data.pkl".Length];
            CheckByteOrder(path, zip, prefix);
            var tensors = ReadIndex(path, index);
            foreach (var (name, tensor) in tensors)
            {
                CheckStorage(path, zip, prefix, name, tensor);
            }

            return new PyTorchBinFile(path, zip, prefix, tensors);
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    /// <summary>The tensor's values, contiguous and row-major, in its storage's dtype.</summary>
    public byte[] ReadBytes(string name)
    {
        var tensor = Tensors[name];
        var storage = tensor.Storage;
        int elementSize = Float32Converter.ElementSize(storage.DType!.Value);
        var bytes = new byte[checked(storage.ElementCount * elementSize)];
        try
        {
            using var stream = _zip.GetEntry(StorageEntry(_prefix, storage))!.Open();
            stream.ReadExactly(bytes);
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
        {
            throw new CheckpointException(
                $"Storage 'data/{storage.Key}' of tensor '{name}' in '{Path}' cannot be read (truncated or corrupt file): {ex.Message}", ex);
        }

        return StridedView.Gather(bytes, tensor, elementSize);
    }

    public void Dispose() => _zip.Dispose();

    private static ZipArchive OpenZip(string path)
    {
        var stream = File.OpenRead(path);
        try
        {
            return new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false);
        }
        catch (InvalidDataException ex)
        {
            stream.Dispose();
            throw new CheckpointException(
                $"PyTorch checkpoint '{path}' is not a complete zip archive: a truncated download, or a file saved in " +
                $"torch's legacy format (re-save it with a current torch.save): {ex.Message}", ex);
        }
    }

    private static ZipArchiveEntry FindIndex(string path, ZipArchive zip)
    {
        // torch names the archive's one folder after the file it saved to; data.pkl sits directly in it.
        var candidates = zip.Entries.Where(e => e.Name == "data.pkl" && e.FullName.Count(c => c == '/') <= 1).ToList();
        return candidates.Count == 1
            ? candidates[0]
            : throw new CheckpointException(
                $"PyTorch checkpoint '{path}' holds {candidates.Count} data.pkl entries; a torch.save archive has exactly one.");
    }

    private static void CheckByteOrder(string path, ZipArchive zip, string prefix)
    {
        if (zip.GetEntry(prefix + "byteorder") is not { } entry)
        {
            return; // written only since torch 1.13; older archives are little-endian
        }

        using var reader = new StreamReader(entry.Open(), Encoding.ASCII);
        var order = reader.ReadToEnd().Trim();
        if (order != "little")
        {
            throw new CheckpointException($"PyTorch checkpoint '{path}' stores its tensors {order}-endian; only little-endian is supported.");
        }
    }

    private static Dictionary<string, PickledTensor> ReadIndex(string path, ZipArchiveEntry index)
    {
        object? root;
        try
        {
            using var stream = index.Open();
            root = StateDictUnpickler.Read(stream);
        }
        catch (Exception ex) when (ex is PickleException or InvalidCastException or InvalidDataException
                                      or EndOfStreamException or FormatException or OverflowException)
        {
            throw new CheckpointException($"The pickled index '{index.FullName}' of '{path}' cannot be read: {ex.Message}", ex);
        }

        if (root is not Hashtable dict)
        {
            throw new CheckpointException($"PyTorch checkpoint '{path}' does not hold a state dict (found {root?.GetType().Name ?? "None"}).");
        }

        var tensors = new Dictionary<string, PickledTensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in dict)
        {
            var name = entry.Key as string ?? throw new CheckpointException($"PyTorch checkpoint '{path}' has a state dict key that is not a string.");
            tensors[name] = entry.Value as PickledTensor
                ?? throw new CheckpointException($"Entry '{name}' in '{path}' is not a tensor.");
        }

        return tensors;
    }

    private static void CheckStorage(string path, ZipArchive zip, string prefix, string name, PickledTensor tensor)
    {
        var storage = tensor.Storage;
        if (storage.DType is not { } dtype)
        {
            throw new CheckpointException(
                $"Unsupported dtype {storage.TypeName} for tensor '{name}' in '{path}'; expected float32, float16 or bfloat16.");
        }

        if (zip.GetEntry(StorageEntry(prefix, storage)) is not { } entry)
        {
            throw new CheckpointException(
                $"Tensor '{name}' in '{path}' refers to storage 'data/{storage.Key}', which the archive does not hold (truncated or repacked file).");
        }

        long needed = storage.ElementCount * Float32Converter.ElementSize(dtype);
        if (entry.Length < needed || tensor.StorageEnd > storage.ElementCount || tensor.Offset < 0)
        {
            throw new CheckpointException(
                $"Storage 'data/{storage.Key}' of tensor '{name}' in '{path}' holds {entry.Length} bytes, but {storage.ElementCount} " +
                $"{dtype} values ({needed} bytes) and the tensor's view up to element {tensor.StorageEnd} are needed.");
        }
    }

    private static string StorageEntry(string prefix, PickledStorage storage) => $"{prefix}data/{storage.Key}";
}
