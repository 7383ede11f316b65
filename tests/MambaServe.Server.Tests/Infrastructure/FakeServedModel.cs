using MambaServe.Engine.Backends;
using MambaServe.Engine.Conversations;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Tokenization;
using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.Tests.Infrastructure;

public sealed class FakeServedModel(
    string name, MambaTokenizer? tokenizer, IGenerationEngine engine, int sampleableVocab = 8192, ModelChatTemplate? chatTemplate = null) : IServedModel
{
    public string Name => name;

    public MambaTokenizer? Tokenizer => tokenizer;

    public ModelChatTemplate? ChatTemplate => chatTemplate;

    public int SampleableVocab => sampleableVocab;

    public IGenerationEngine Engine => engine;

    /// <summary>A memory-only store; the fake engine's snapshots need no runner to dispose.</summary>
    public ConversationStore? Conversations { get; } = new(new StateStoreOptions(), ModelFingerprint.OfText(name), new NoRunner());

    public EngineStats Stats => new(0, 0, 0, 8, 0, 0, 0, 0);

    public string? FaultReason { get; set; }

    public bool Disposed { get; private set; }

    public bool Stopped { get; private set; }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Stopped = true;
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        Disposed = true;
        await Conversations!.DisposeAsync();
    }

    private sealed class NoRunner : IRunnerOperations
    {
        public Task RunAsync(Action<IModelRunner> operation)
        {
            operation(null!);
            return Task.CompletedTask;
        }
    }
}
