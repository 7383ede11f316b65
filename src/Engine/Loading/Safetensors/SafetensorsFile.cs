using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text.Json;

namespace MambaServe.Engine.Loading.Safetensors;

/// <summary>
/// A memory-mapped safetensors file: 8-byte little-endian header length, a JSON header
/// (<c>{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}</c>), then raw tensor bytes.
/// Every entry is validated against the file size on open, so a truncated download fails here with the file and
/// tensor named, not later as an access violation. Written by hand because the format is tiny and the only .NET
/// readers pull in TorchSharp, which a GPU deployment must not need.
/// </summary>
internal sealed unsafe class SafetensorsFile : IDisposable
{
    // The reference implementation refuses headers above 100 MB; a larger value means a corrupt or foreign file.
    private const long MaxHeaderBytes = 100_000_000;

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _data;
    private bool _disposed;

    private SafetensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, long dataStart,
        IReadOnlyDictionary<string, SafetensorsTensorInfo> tensors)
    {
        Path = path;
        _map = map;
        _view = view;
        Tensors = tensors;
        byte* basePointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePointer);
        _data = basePointer + _view.PointerOffset + dataStart;
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, SafetensorsTensorInfo> Tensors { get; }

    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new CheckpointException($"Safetensors file '{path}' does not exist.");
        }

        // Length from the opened stream, not FileInfo: a hub-cache snapshot entry is a symlink, whose own
        // FileInfo.Length is the link text's.
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var length = stream.Length;
        if (length < 8)
        {
            stream.Dispose();
            throw new CheckpointException($"Safetensors file '{path}' is truncated: {length} bytes, no header length.");
        }

        var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None,
            leaveOpen: false);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            var (dataStart, tensors) = ReadHeader(path, view, length);
            return new SafetensorsFile(path, map, view, dataStart, tensors);
        }
        catch
        {
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    /// <summary>The tensor's raw bytes, valid until this file is disposed.</summary>
    public ReadOnlySpan<byte> GetBytes(SafetensorsTensorInfo info)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var count = info.End - info.Begin;
        if (count > int.MaxValue)
        {
            throw new CheckpointException($"Tensor '{info.Name}' in '{Path}' is larger than 2 GiB, which is unsupported.");
        }

        return new ReadOnlySpan<byte>(_data + info.Begin, (int)count);
    }

    public float[] ReadFloat32(string name)
    {
        var info = Tensors[name];
        if (info.DType == TensorDType.Int64)
        {
            throw new CheckpointException($"Tensor '{name}' in '{Path}' holds int64 values where floats are expected.");
        }

        return Float32Converter.ToFloat32(GetBytes(info), info.DType);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }

    private static (long DataStart, Dictionary<string, SafetensorsTensorInfo> Tensors) ReadHeader(
        string path, MemoryMappedViewAccessor view, long fileLength)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        for (var i = 0; i < 8; i++)
        {
            lengthBytes[i] = view.ReadByte(i);
        }

        var headerLength = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || headerLength > fileLength - 8)
        {
            throw new CheckpointException(
                $"Safetensors file '{path}' has an invalid header length {headerLength} (file is {fileLength} bytes): " +
                "truncated or not a safetensors file.");
        }

        var header = new byte[headerLength];
        view.ReadArray(8, header, 0, header.Length);
        var dataLength = fileLength - 8 - headerLength;
        try
        {
            using var document = JsonDocument.Parse(header);
            return (8 + headerLength, SafetensorsHeaderParser.Parse(path, document.RootElement, dataLength));
        }
        catch (JsonException ex)
        {
            throw new CheckpointException($"Safetensors file '{path}' has a malformed JSON header: {ex.Message}", ex);
        }
    }
}
