using System.Security.Cryptography;
using System.Text;

namespace MambaServe.Engine.Loading.Hub;

/// <summary>
/// One repository's folder in the hub cache, laid out as huggingface_hub does so both share it:
/// <c>models--ORG--NAME/refs/{revision}</c> (the commit), <c>blobs/{etag}</c> (file contents, named by LFS sha256 or
/// git blob id), <c>snapshots/{commit}/{file}</c> (relative symlinks into blobs).
/// </summary>
internal sealed class HubCache
{
    public HubCache(string cacheDirectory, string modelId)
    {
        RepoFolder = Path.Combine(cacheDirectory, "models--" + modelId.Replace("/", "--", StringComparison.Ordinal));
    }

    public string RepoFolder { get; }

    public string BlobPath(string etag) => Path.Combine(RepoFolder, "blobs", etag);

    public string SnapshotFolder(string commit) => Path.Combine(RepoFolder, "snapshots", commit);

    public static bool IsCommitHash(string revision) =>
        revision.Length == 40 && revision.All(char.IsAsciiHexDigitLower);

    /// <summary>The blob name of a file: the etag the hub would send, or (unlisted) a stable name from commit and path.</summary>
    public static string BlobName(string commit, HubSibling file) =>
        file.LfsSha256 ?? file.BlobId ?? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{commit}/{file.FileName}")));

    /// <summary>The cached snapshot folder for a revision, if the ref (or commit) and a config.json are present.</summary>
    public string? FindSnapshot(string revision)
    {
        var commit = revision;
        if (!IsCommitHash(revision))
        {
            var refPath = Path.Combine(RepoFolder, "refs", revision);
            if (!File.Exists(refPath))
            {
                return null;
            }

            commit = File.ReadAllText(refPath).Trim();
        }

        var folder = SnapshotFolder(commit);
        return File.Exists(Path.Combine(folder, CheckpointConfigReader.ConfigFileName)) ? folder : null;
    }

    public void WriteRef(string revision, string commit)
    {
        if (revision == commit)
        {
            return;
        }

        var refPath = Path.Combine(RepoFolder, "refs", revision);
        Directory.CreateDirectory(Path.GetDirectoryName(refPath)!);
        File.WriteAllText(refPath, commit);
    }

    /// <summary>Points <c>snapshots/{commit}/{file}</c> at its blob: a relative symlink, or a copy where links fail.</summary>
    public void Link(string commit, string file, string blobPath)
    {
        var target = Path.Combine(SnapshotFolder(commit), file);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (File.Exists(target) || new FileInfo(target).LinkTarget is not null)
        {
            File.Delete(target);
        }

        try
        {
            File.CreateSymbolicLink(target, Path.GetRelativePath(Path.GetDirectoryName(target)!, blobPath));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            File.Copy(blobPath, target, overwrite: true);
        }
    }
}
