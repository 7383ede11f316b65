using MambaServe.Engine.Conversations;

namespace MambaServe.Engine.Tests.Conversations;

public sealed class ConversationStoreTests
{
    [Fact]
    public async Task Continue_InMemory_RestoresTheSavedStateAndDocument()
    {
        await using var harness = new StoreHarness(withDirectory: false);
        var store = harness.Open();
        var (id, state, document) = harness.Save(store);

        var found = Assert.IsType<Continuation>(store.Continue(id, string.Empty));

        Assert.Equal(document, found.Response.Document);
        Assert.Equal(state, harness.Restored(found));
        Assert.Matches("^resp_[0-9a-f]{48}$", id);
    }

    [Fact]
    public async Task Continue_AfterRestart_ImportsTheStateFromDisk()
    {
        await using var harness = new StoreHarness();
        var first = harness.Open();
        var (id, state, document) = harness.Save(first);
        await first.DisposeAsync();

        var found = Assert.IsType<Continuation>(harness.Open().Continue(id, string.Empty));

        Assert.Equal(document, found.Response.Document);
        Assert.Equal(state, harness.Restored(found));
    }

    [Fact]
    public async Task MemoryOnly_IsNeverWrittenToDisk_AndIsGoneAfterARestart()
    {
        await using var harness = new StoreHarness();
        var store = harness.Open();
        var (id, state, document) = harness.Save(store, memoryOnly: true);
        var (kept, _, _) = harness.Save(store);
        await store.FlushWritesAsync();

        var found = Assert.IsType<Continuation>(store.Continue(id, string.Empty));
        Assert.Equal((document, state), (found.Response.Document, harness.Restored(found)));
        Assert.False(File.Exists(harness.FileOf(id)));
        Assert.True(File.Exists(harness.FileOf(kept)));
        await store.DisposeAsync();
        Assert.Null(harness.Open().Continue(id, string.Empty));
    }

    [Fact]
    public async Task Continue_TruncatedFile_ThrowsUnreadableThenIsGone()
    {
        await using var harness = new StoreHarness();
        var (id, _, _) = await SavedOnDiskOnly(harness);
        var bytes = File.ReadAllBytes(harness.FileOf(id));
        File.WriteAllBytes(harness.FileOf(id), bytes[..Random.Shared.Next(1, bytes.Length - 1)]);
        var store = harness.Open();

        Assert.Throws<StoredResponseUnreadableException>(() => store.Continue(id, string.Empty));
        Assert.False(File.Exists(harness.FileOf(id)));
        Assert.Null(store.Continue(id, string.Empty));
    }

    [Fact]
    public async Task Continue_FlippedStateByte_ThrowsUnreadableWhileTheResponseObjectStillReads()
    {
        await using var harness = new StoreHarness();
        var (id, _, document) = await SavedOnDiskOnly(harness);
        var bytes = File.ReadAllBytes(harness.FileOf(id));
        bytes[^Random.Shared.Next(1, 13)] ^= (byte)(1 << Random.Shared.Next(8)); // the last 12 bytes are the fake state
        File.WriteAllBytes(harness.FileOf(id), bytes);
        var store = harness.Open();

        Assert.Equal(document, store.Get(id, string.Empty)!.Document);
        Assert.Throws<StoredResponseUnreadableException>(() => store.Continue(id, string.Empty));
    }

    [Fact]
    public async Task Get_FlippedHeaderOrDocumentByte_ThrowsUnreadable()
    {
        await using var harness = new StoreHarness();
        var (id, _, document) = await SavedOnDiskOnly(harness);
        var bytes = File.ReadAllBytes(harness.FileOf(id));
        bytes[Random.Shared.Next(8, 112 + document.Length)] ^= (byte)(1 << Random.Shared.Next(8));
        File.WriteAllBytes(harness.FileOf(id), bytes);

        Assert.Throws<StoredResponseUnreadableException>(() => harness.Open().Get(id, string.Empty));
    }

    [Fact]
    public async Task Continue_StateOfAnotherModel_ThrowsMismatchButTheResponseReads()
    {
        await using var harness = new StoreHarness();
        var (id, _, document) = await SavedOnDiskOnly(harness);
        var other = harness.Open(fingerprint: ModelFingerprint.OfText("another model"));

        Assert.Throws<StateModelMismatchException>(() => other.Continue(id, string.Empty));
        Assert.Equal(document, other.Get(id, string.Empty)!.Document);
    }

    [Fact]
    public async Task Find_AnotherOwner_SeesNothingAndCannotDelete()
    {
        await using var harness = new StoreHarness();
        var store = harness.Open();
        var owner = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([1, 2, 3]));
        var (id, _, _) = harness.Save(store, owner);

        Assert.Null(store.Get(id, string.Empty));
        Assert.Null(store.Continue(id, new string('a', 64)));
        Assert.False(store.Delete(id, string.Empty));
        Assert.NotNull(store.Get(id, owner));
        Assert.True(store.Delete(id, owner));
        await store.FlushWritesAsync();
        Assert.Null(store.Get(id, owner));
        Assert.False(File.Exists(harness.FileOf(id)));
    }

    [Fact]
    public async Task Get_OlderThanMaxAge_IsGoneFromMemoryAndDisk()
    {
        await using var harness = new StoreHarness();
        var store = harness.Open(maxAge: TimeSpan.FromHours(2));
        var (id, _, _) = harness.Save(store);
        await store.FlushWritesAsync();
        harness.Time.Advance(TimeSpan.FromHours(1));
        Assert.NotNull(store.Get(id, string.Empty));

        harness.Time.Advance(TimeSpan.FromHours(1.5));

        Assert.Null(store.Get(id, string.Empty));
        Assert.Null(harness.Open(maxAge: TimeSpan.FromHours(2)).Get(id, string.Empty));
        Assert.False(File.Exists(harness.FileOf(id)));
    }

    [Fact]
    public async Task Commit_OverMemoryBudgetWithoutDisk_DropsTheLeastRecentlyUsedState_AndKeepsItsDocument()
    {
        await using var harness = new StoreHarness(withDirectory: false);
        // Entries of 1,000 state bytes + 300 document bytes: three fit in the budget, a fourth does not (random
        // document sizes let four small ones fit now and then).
        var store = harness.Open(maxMemory: 3 * 1000 + 3 * 400);
        var a = harness.Save(store, documentBytes: 300);
        var b = harness.Save(store, documentBytes: 300);
        var c = harness.Save(store, documentBytes: 300);
        store.Get(a.Id, string.Empty); // a is now more recent than b
        int live = harness.Runner.LiveSnapshots;

        var d = harness.Save(store, documentBytes: 300);

        var evicted = store.Continue(b.Id, string.Empty)!;
        Assert.Equal(b.Document, evicted.Response.Document);
        Assert.Null(evicted.State);
        Assert.All(new[] { a, c, d }, saved => Assert.Equal(saved.State, harness.Restored(store.Continue(saved.Id, string.Empty)!)));
        Assert.Equal(live, harness.Runner.LiveSnapshots); // one added, the evicted one disposed
    }

    [Fact]
    public async Task Commit_DocumentsAloneOverTheBudget_EvictTheLeastRecentlyUsedDocuments()
    {
        await using var harness = new StoreHarness(withDirectory: false);
        var store = harness.Open(maxMemory: 3200);
        var withState = harness.Save(store, documentBytes: 100);
        var conversations = Enumerable.Range(0, 4).Select(_ => ResponseIds.NewConversation()).ToList();
        void Save(string id) => store.Save(new StoredResponse(id, string.Empty, harness.Time.GetUtcNow(), new byte[1000]));
        conversations.Take(3).ToList().ForEach(Save);

        // 100 + 1,000 state bytes, then 3,000 of documents: only the state goes.
        Assert.Null(store.Continue(withState.Id, string.Empty)!.State);
        Assert.All(conversations.Take(3), id => Assert.NotNull(store.Get(id, string.Empty)));

        // Now documents alone are over: the least recently used go.
        Save(conversations[3]);

        Assert.Null(store.Get(withState.Id, string.Empty));
        Assert.Null(store.Get(conversations[0], string.Empty));
        Assert.All(conversations.Skip(1), id => Assert.NotNull(store.Get(id, string.Empty)));
        Assert.Equal(3000, store.MemoryBytes);
    }

    [Fact]
    public async Task Continue_EvictedFromMemoryWithDisk_ReadsTheStateBack()
    {
        await using var harness = new StoreHarness();
        var store = harness.Open(maxMemory: 1500);
        var a = harness.Save(store);
        await store.FlushWritesAsync();
        harness.Save(store);

        Assert.Equal(a.State, harness.Restored(store.Continue(a.Id, string.Empty)!));
    }

    [Fact]
    public async Task Commit_DirectoryNotWritable_KeepsTheResponseInMemory()
    {
        await using var harness = new StoreHarness();
        var blocker = Path.Combine(harness.Directory!.Path, "not-a-directory");
        File.WriteAllText(blocker, "x");
        var store = harness.Open(directory: blocker);
        var (id, state, _) = harness.Save(store);
        await store.FlushWritesAsync();

        Assert.Equal(state, harness.Restored(store.Continue(id, string.Empty)!));
    }

    [Fact]
    public async Task Commit_OverDiskBudget_DeletesTheLeastRecentlyUsedFiles()
    {
        await using var harness = new StoreHarness();
        var store = harness.Open(maxDisk: 3 * 330);
        var ids = new List<string>();
        for (int i = 0; i < 6; i++)
        {
            ids.Add(harness.Save(store, documentBytes: 200).Id); // 112 + 200 + 12 bytes on disk
            await store.FlushWritesAsync();
            harness.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var files = Directory.GetFiles(harness.Directory!.Path);
        Assert.Equal(3, files.Length);
        Assert.Contains(harness.FileOf(ids[^1]), files);
        Assert.DoesNotContain(harness.FileOf(ids[0]), files);
        Assert.True(files.Sum(f => new FileInfo(f).Length) <= 3 * 330);
    }

    [Fact]
    public async Task Continue_FileDeletedByAnotherReplica_IsGoneFromMemoryToo()
    {
        await using var harness = new StoreHarness();
        var store = harness.Open();
        var other = harness.Open(); // another replica on the same directory
        var (id, _, _) = harness.Save(store);
        await store.FlushWritesAsync();

        Assert.True(other.Delete(id, string.Empty));

        Assert.Null(store.Continue(id, string.Empty));
    }

    [Fact]
    public async Task Find_MalformedId_IsUnknownWithoutTouchingTheDisk()
    {
        await using var harness = new StoreHarness();
        var store = harness.Open();

        Assert.Null(store.Get("../../etc/passwd", string.Empty));
        Assert.Null(store.Continue("resp_" + new string('G', 48), string.Empty));
        Assert.False(store.Delete("resp_", string.Empty));
    }

    [Fact]
    public async Task Save_RewrittenManyTimes_LeavesItsLastVersionInMemoryAndOnDisk()
    {
        await using var harness = new StoreHarness();
        var store = harness.Open();
        string id = ResponseIds.NewConversation();
        var owner = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([4, 5, 6]));
        var versions = Enumerable.Range(0, 50).Select(i => new byte[] { (byte)i, (byte)(i * 7), 42 }).ToList();

        foreach (var version in versions)
        {
            store.Save(new StoredResponse(id, owner, harness.Time.GetUtcNow(), version));
        }

        Assert.Equal(versions[^1], store.Get(id, owner)!.Document);
        Assert.Null(store.Continue(id, owner)!.State);
        Assert.Null(store.Get(id, string.Empty));
        await store.FlushWritesAsync();
        Assert.Equal(versions[^1], harness.Open().Get(id, owner)!.Document);
    }

    [Fact]
    public async Task Save_ThenDeletedWhileItsWritesAreQueued_StaysDeletedOnDisk()
    {
        await using var harness = new StoreHarness();
        var store = harness.Open();
        string id = ResponseIds.NewConversation();
        for (int i = 0; i < 20; i++)
        {
            store.Save(new StoredResponse(id, string.Empty, harness.Time.GetUtcNow(), [(byte)i]));
        }

        Assert.True(store.Delete(id, string.Empty));
        await store.FlushWritesAsync();

        Assert.False(File.Exists(Path.Combine(harness.Directory!.Path, id + ".msvresp")));
        Assert.Null(harness.Open().Get(id, string.Empty));
        Assert.Null(store.Get(id, string.Empty));
    }

    [Fact]
    public async Task Save_AWriteThatThrowsUnexpectedly_FailsOnlyItself_AndLaterWritesLand()
    {
        await using var harness = new StoreHarness();
        var store = harness.Open();
        string broken = ResponseIds.NewConversation(), fine = ResponseIds.NewConversation();

        store.Save(new StoredResponse(broken, "not a key hash", harness.Time.GetUtcNow(), [1])); // the file header takes hex owners only
        store.Save(new StoredResponse(fine, string.Empty, harness.Time.GetUtcNow(), [2]));
        await store.FlushWritesAsync().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal([1], store.Get(broken, "not a key hash")!.Document);
        Assert.False(File.Exists(harness.FileOf(broken)));
        Assert.Equal([2], harness.Open().Get(fine, string.Empty)!.Document);
    }

    [Fact]
    public async Task Save_DocumentOverTheFileFormatsLimit_StaysInMemoryAndIsNeverWritten()
    {
        await using var harness = new StoreHarness();
        var store = harness.Open(maxMemory: 1L << 30, maxDisk: 1L << 30);
        string id = ResponseIds.NewConversation();

        store.Save(new StoredResponse(id, string.Empty, harness.Time.GetUtcNow(), new byte[StoredResponseFile.MaxDocumentBytes + 1]));
        await store.FlushWritesAsync();

        // Reading would take a larger document for a torn file and delete it: it must not reach the disk at all.
        Assert.False(File.Exists(harness.FileOf(id)));
        Assert.Equal(StoredResponseFile.MaxDocumentBytes + 1, store.Get(id, string.Empty)!.Document.Length);
    }

    [Fact]
    public async Task Save_AgesFromItsLastSave_AndRefusesIdsTheStoreDoesNotMake()
    {
        await using var harness = new StoreHarness(withDirectory: false);
        var store = harness.Open(maxAge: TimeSpan.FromHours(1));
        string id = ResponseIds.NewConversation();
        store.Save(new StoredResponse(id, string.Empty, harness.Time.GetUtcNow(), [1]));
        harness.Time.Advance(TimeSpan.FromMinutes(50));
        store.Save(new StoredResponse(id, string.Empty, harness.Time.GetUtcNow(), [2]));
        harness.Time.Advance(TimeSpan.FromMinutes(50));

        Assert.Equal([2], store.Get(id, string.Empty)!.Document);
        harness.Time.Advance(TimeSpan.FromMinutes(11));
        Assert.Null(store.Get(id, string.Empty));
        Assert.Throws<ArgumentException>(() => store.Save(new StoredResponse("../conv_x", string.Empty, harness.Time.GetUtcNow(), [1])));
    }

    private static async Task<(string Id, ulong State, byte[] Document)> SavedOnDiskOnly(StoreHarness harness)
    {
        var store = harness.Open();
        var saved = harness.Save(store);
        await store.DisposeAsync();
        return saved;
    }
}
