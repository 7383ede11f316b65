using MambaServe.Engine.Hosting;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Tokenization;
using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.Hosting;

/// <summary>
/// The engine's <see cref="ServedModel"/> as the API layer sees it. Constructing it compiles the model's chat
/// template, so a template that does not parse fails the load (<see cref="InvalidDataException"/>).
/// </summary>
public sealed class ServedModelAdapter(ServedModel model) : IServedModel
{
    public string Name => model.Name;

    public MambaTokenizer? Tokenizer => model.Tokenizer;

    public ModelChatTemplate? ChatTemplate { get; } = ModelChatTemplate.FromTokenizer(model.Tokenizer);

    public int SampleableVocab => model.SampleableVocab;

    public IGenerationEngine Engine => model.Engine;

    public EngineStats Stats => model.Stats;

    public string? FaultReason => model.FaultReason;

    public Task StopAsync(CancellationToken cancellationToken) => model.StopAsync(cancellationToken);

    public ValueTask DisposeAsync() => model.DisposeAsync();
}
