using System.Buffers.Binary;
using MambaServe.Engine.Backends;
using MambaServe.Engine.Conversations;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Tests.Infrastructure;
using MambaServe.Engine.Tests.Loading;
using Microsoft.Extensions.Time.Testing;

namespace MambaServe.Engine.Tests.Conversations;

/// <summary>A <see cref="ConversationStore"/> over the fake runner (whose state is one 64-bit value), with a fake clock.</summary>
internal sealed class StoreHarness : IAsyncDisposable
{
    private readonly List<ConversationStore> _stores = [];

    public StoreHarness(bool withDirectory = true)
    {
        Directory = withDirectory ? new TempDirectory() : null;
        Fingerprint = ModelFingerprint.OfText("model-" + Random.Shared.Next());
    }

    public FakeModelRunner Runner { get; } = new(slotCount: 4, snapshotBytes: 1000);

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UnixEpoch.AddDays(Random.Shared.Next(1, 10_000)));

    public TempDirectory? Directory { get; }

    public byte[] Fingerprint { get; }

    public ConversationStore Open(long maxMemory = 1 << 20, long maxDisk = 1 << 20, TimeSpan? maxAge = null, string? directory = null, byte[]? fingerprint = null)
    {
        var options = new StateStoreOptions
        {
            Directory = directory ?? Directory?.Path,
            MaxMemoryBytes = maxMemory,
            MaxDiskBytes = maxDisk,
            MaxAge = maxAge ?? TimeSpan.FromDays(1),
        };
        var store = new ConversationStore(options, fingerprint ?? Fingerprint, new InlineOperations(Runner), Time);
        _stores.Add(store);
        return store;
    }

    /// <summary>Saves a random state (pending token 5) with a random document; returns the id and the state.</summary>
    public (string Id, ulong State, byte[] Document) Save(ConversationStore store, string owner = "", int? documentBytes = null, bool memoryOnly = false)
    {
        ulong state = (ulong)Random.Shared.NextInt64();
        var document = new byte[documentBytes ?? Random.Shared.Next(20, 200)];
        Random.Shared.NextBytes(document);
        var pending = store.Begin(owner, memoryOnly);
        ((IStateSink)pending).Save(new SavedState(Runner.ImportSnapshot(Export(state)), 5), Runner);
        pending.Commit(document, Time.GetUtcNow());
        return (pending.Id, state, document);
    }

    /// <summary>What the continuation's state restores into a slot.</summary>
    public ulong Restored(Continuation continuation)
    {
        var start = continuation.State ?? throw new InvalidOperationException("No state.");
        start.RestoreInto(Runner, 0);
        start.Release();
        using var snapshot = Runner.Snapshot(0);
        return BinaryPrimitives.ReadUInt64LittleEndian(Runner.ExportSnapshot(snapshot).AsSpan(4));
    }

    public string FileOf(string id) => Path.Combine(Directory!.Path, id + ".msvresp");

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        Directory?.Dispose();
    }

    private static byte[] Export(ulong state)
    {
        var bytes = new byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, 0xFA4E);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(4), state);
        return bytes;
    }

    private sealed class InlineOperations(IModelRunner runner) : IRunnerOperations
    {
        public Task RunAsync(Action<IModelRunner> operation)
        {
            operation(runner);
            return Task.CompletedTask;
        }
    }
}
