using System.Buffers.Binary;
using System.IO.Hashing;

namespace MambaServe.Engine.Conversations;

/// <summary>
/// One stored response on disk: a 112-byte little-endian header, the server's document, then the runner's exported
/// state bytes (opaque here). Header: magic "MSVRESP\n"; u16 format version (1); u16 flags (bit 0: has a state);
/// i32 document length; i64 state length; i64 creation time (Unix ms); 32 bytes owner (SHA-256 of the API key, zeros
/// when open); 16 bytes model fingerprint; XxHash128 of the state; XxHash128 of header bytes 0..96 and the document.
/// Two checksums so that reading a response object (GET) never has to read the state. Anything that does not add up
/// (magic, version, lengths against the file size, either checksum) is <see cref="StoredResponseUnreadableException"/>.
/// </summary>
internal static class StoredResponseFile
{
    public const int HeaderBytes = 112;
    public const ushort Version = 1;
    public const int MaxDocumentBytes = 64 << 20;
    private const ushort HasState = 1;
    private static readonly byte[] s_magic = "MSVRESP\n"u8.ToArray();

    /// <summary>The header fields; <see cref="StateChecksum"/> is checked only when the state is read.</summary>
    public sealed record Header(StoredResponse Meta, byte[] Fingerprint, bool HasState, long StateLength, byte[] StateChecksum);

    public static void Write(Stream stream, StoredResponse meta, ReadOnlySpan<byte> fingerprint, ReadOnlySpan<byte> state, bool hasState)
    {
        var header = new byte[HeaderBytes];
        var span = header.AsSpan();
        s_magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[8..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(span[10..], hasState ? HasState : (ushort)0);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], meta.Document.Length);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], state.Length);
        BinaryPrimitives.WriteInt64LittleEndian(span[24..], meta.CreatedAt.ToUnixTimeMilliseconds());
        OwnerBytes(meta.Owner).CopyTo(span[32..]);
        fingerprint.CopyTo(span[64..80]);
        XxHash128.Hash(state, span[80..96]);
        var documentHash = new XxHash128();
        documentHash.Append(span[..96]);
        documentHash.Append(meta.Document);
        documentHash.GetCurrentHash(span[96..]);
        stream.Write(header);
        stream.Write(meta.Document);
        stream.Write(state);
    }

    /// <summary>Reads and checks the header and the document; the stream is left at the start of the state.</summary>
    public static Header ReadHeader(Stream stream, string id)
    {
        var header = new byte[HeaderBytes];
        if (stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes)
        {
            throw new StoredResponseUnreadableException(id, "the file is shorter than its header");
        }

        var span = header.AsSpan();
        if (!span[..8].SequenceEqual(s_magic))
        {
            throw new StoredResponseUnreadableException(id, "not a stored-response file");
        }

        if (BinaryPrimitives.ReadUInt16LittleEndian(span[8..]) != Version)
        {
            throw new StoredResponseUnreadableException(id, $"format version {BinaryPrimitives.ReadUInt16LittleEndian(span[8..])}; this server reads {Version}");
        }

        int documentLength = BinaryPrimitives.ReadInt32LittleEndian(span[12..]);
        long stateLength = BinaryPrimitives.ReadInt64LittleEndian(span[16..]);
        if (documentLength < 0 || documentLength > MaxDocumentBytes || stateLength < 0
            || (stream.CanSeek && HeaderBytes + (long)documentLength + stateLength != stream.Length))
        {
            throw new StoredResponseUnreadableException(id, "its lengths do not match the file (torn write?)");
        }

        var document = new byte[documentLength];
        stream.ReadExactly(document);
        var documentHash = new XxHash128();
        documentHash.Append(span[..96]);
        documentHash.Append(document);
        if (!documentHash.GetCurrentHash().AsSpan().SequenceEqual(span[96..]))
        {
            throw new StoredResponseUnreadableException(id, "checksum mismatch in the response");
        }

        var created = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(span[24..]));
        var meta = new StoredResponse(id, OwnerText(span[32..64]), created, document);
        bool hasState = (BinaryPrimitives.ReadUInt16LittleEndian(span[10..]) & HasState) != 0;
        return new Header(meta, span[64..80].ToArray(), hasState, stateLength, span[80..96].ToArray());
    }

    /// <summary>Reads the state that follows the document and checks it against the header.</summary>
    public static byte[] ReadState(Stream stream, Header header, string id)
    {
        var state = new byte[header.StateLength];
        if (stream.ReadAtLeast(state, state.Length, throwOnEndOfStream: false) < state.Length)
        {
            throw new StoredResponseUnreadableException(id, "the state is cut short (torn write?)");
        }

        if (!XxHash128.Hash(state).AsSpan().SequenceEqual(header.StateChecksum))
        {
            throw new StoredResponseUnreadableException(id, "checksum mismatch in the state");
        }

        return state;
    }

    private static byte[] OwnerBytes(string owner) =>
        owner.Length == 0 ? new byte[32] : Convert.FromHexString(owner) is { Length: 32 } bytes
            ? bytes
            : throw new ArgumentException("An owner is a hex SHA-256 (64 characters) or empty.", nameof(owner));

    private static string OwnerText(ReadOnlySpan<byte> bytes) =>
        bytes.IndexOfAnyExcept((byte)0) < 0 ? string.Empty : Convert.ToHexStringLower(bytes);
}
