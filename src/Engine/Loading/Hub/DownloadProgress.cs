namespace MambaServe.Engine.Loading.Hub;

/// <summary>Progress of one file being fetched from the hub (for a progress bar).</summary>
/// <param name="File">Repository-relative file name (<c>model.safetensors</c>).</param>
/// <param name="BytesDone">Bytes on disk so far, including any resumed from an earlier attempt.</param>
/// <param name="TotalBytes">Size of the file, when the hub or the response says.</param>
public sealed record DownloadProgress(string File, long BytesDone, long? TotalBytes);
