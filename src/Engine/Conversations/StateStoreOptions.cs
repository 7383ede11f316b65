namespace MambaServe.Engine.Conversations;

/// <summary>
/// Section <c>MambaServe:StateStore</c>: where the Responses API keeps the recurrent states of stored responses.
/// Live snapshots stay in the runner's memory (device memory on a GPU) up to <see cref="MaxMemoryBytes"/>, least
/// recently used first out; with a <see cref="Directory"/>, every saved state is also written there, so a restart or
/// another replica sharing the volume can continue it, up to <see cref="MaxDiskBytes"/>.
/// </summary>
public sealed record StateStoreOptions
{
    public const string Section = "MambaServe:StateStore";

    /// <summary>Directory of the disk tier; empty keeps states in memory only (lost at restart).</summary>
    public string? Directory { get; init; }

    /// <summary>Bytes of live snapshots (plus stored response objects) kept in memory.</summary>
    public long MaxMemoryBytes { get; init; } = 1L << 30;

    /// <summary>Bytes of files in <see cref="Directory"/>; the least recently used files go first beyond it.</summary>
    public long MaxDiskBytes { get; init; } = 10L << 30;

    /// <summary>Stored responses older than this are gone (404), in memory and on disk.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(30);

    /// <exception cref="ArgumentException">A limit out of range.</exception>
    public void Validate()
    {
        if (MaxMemoryBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxMemoryBytes), MaxMemoryBytes, "Must be 0 or more (0: nothing is kept live).");
        }

        if (MaxDiskBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDiskBytes), MaxDiskBytes, "Must be 0 or more.");
        }

        if (MaxAge <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAge), MaxAge, "Must be positive.");
        }
    }

    /// <summary>Whether a disk tier is configured.</summary>
    public bool HasDirectory => !string.IsNullOrWhiteSpace(Directory);
}
