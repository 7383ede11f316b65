using MambaServe.Engine.Conversations;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Tokenization;
using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.Hosting;

/// <summary>
/// The engine's <see cref="ServedModel"/> as the API layer sees it, with the model's state store. Constructing it
/// compiles the model's chat template, so a template that does not parse fails the load (<see cref="InvalidDataException"/>).
/// </summary>
public sealed class ServedModelAdapter(ServedModel model, StateStoreOptions stateStore, ILogger? storeLogger = null) : IServedModel
{
    public string Name => model.Name;

    public MambaTokenizer? Tokenizer => model.Tokenizer;

    public ModelChatTemplate? ChatTemplate { get; } = ModelChatTemplate.FromTokenizer(model.Tokenizer);

    public int SampleableVocab => model.SampleableVocab;

    public IGenerationEngine Engine => model.Engine;

    public ConversationStore? Conversations { get; } = new(stateStore, model.Fingerprint, model.RunnerOperations, logger: storeLogger);

    public EngineStats Stats => model.Stats;

    public string? FaultReason => model.FaultReason;

    public string Device => model.Device.ToString();

    public Task StopAsync(CancellationToken cancellationToken) => model.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // The store first: its live snapshots are disposed on the engine loop, which must still run.
        if (Conversations is not null)
        {
            await Conversations.DisposeAsync();
        }

        await model.DisposeAsync();
    }
}
