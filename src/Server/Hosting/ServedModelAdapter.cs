using MambaServe.Engine.Hosting;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Server.Hosting;

/// <summary>The engine's <see cref="ServedModel"/> as the API layer sees it.</summary>
public sealed class ServedModelAdapter(ServedModel model) : IServedModel
{
    public string Name => model.Name;

    public MambaTokenizer? Tokenizer => model.Tokenizer;

    public int SampleableVocab => model.SampleableVocab;

    public IGenerationEngine Engine => model.Engine;

    public EngineStats Stats => model.Stats;

    public Task StopAsync(CancellationToken cancellationToken) => model.StopAsync(cancellationToken);

    public ValueTask DisposeAsync() => model.DisposeAsync();
}
