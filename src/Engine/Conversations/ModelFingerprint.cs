using System.IO.Hashing;
using System.Text;

namespace MambaServe.Engine.Conversations;

/// <summary>
/// Which model a saved state belongs to: XxHash128 over the config and the weight files of the checkpoint directory,
/// plus the state layout (a state saved with fp32 SSM state does not import into a bf16 pool). Computed once at load
/// and cheap for any checkpoint size: config and index files are hashed whole, and each weight file by its name, its
/// length and, when it is larger than 64 MiB, 64 blocks of 64 KiB spread evenly over it plus its last block (under
/// 5 MiB read per file, against seconds for a full pass over a 5 GB checkpoint that was just memory-mapped, not read).
/// Two checkpoints that differ only outside every sampled block would collide; a fine-tune changes every tensor.
/// </summary>
public static class ModelFingerprint
{
    public const int Bytes = 16;
    private const long WholeFileLimit = 64L << 20;
    private const int Blocks = 64;
    private const int BlockBytes = 64 << 10;

    /// <summary>The fingerprint of the checkpoint in <paramref name="directory"/> served with <paramref name="stateLayout"/>.</summary>
    public static byte[] OfDirectory(string directory, string stateLayout)
    {
        var hash = new XxHash128();
        hash.Append(Encoding.UTF8.GetBytes(stateLayout));
        var files = new DirectoryInfo(directory).GetFiles()
            .Where(f => f.Name is "config.json" or "pytorch_model.bin" || f.Name.EndsWith(".safetensors", StringComparison.Ordinal)
                || f.Name.EndsWith(".safetensors.index.json", StringComparison.Ordinal))
            .OrderBy(f => f.Name, StringComparer.Ordinal);
        foreach (var file in files)
        {
            hash.Append(Encoding.UTF8.GetBytes($"\n{file.Name}\n{file.Length}\n"));
            AppendContent(hash, file);
        }

        return hash.GetCurrentHash();
    }

    /// <summary>A fingerprint of a description, for weights that have no files (random benchmark weights).</summary>
    public static byte[] OfText(string description) => XxHash128.Hash(Encoding.UTF8.GetBytes(description));

    private static void AppendContent(XxHash128 hash, FileInfo file)
    {
        using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        if (file.Length <= WholeFileLimit)
        {
            hash.Append(stream);
            return;
        }

        var block = new byte[BlockBytes];
        long stride = (file.Length - BlockBytes) / Blocks;
        for (int i = 0; i <= Blocks; i++)
        {
            stream.Position = i == Blocks ? file.Length - BlockBytes : i * stride;
            stream.ReadExactly(block);
            hash.Append(block);
        }
    }
}
