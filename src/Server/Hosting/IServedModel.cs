using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Server.Hosting;

/// <summary>What the API layer needs of a loaded model: its name, tokenizer (absent: token-id prompts only) and engine.</summary>
public interface IServedModel : IAsyncDisposable
{
    string Name { get; }

    MambaTokenizer? Tokenizer { get; }

    /// <summary>Token ids at or above it are padding rows: rejected in prompts.</summary>
    int SampleableVocab { get; }

    IGenerationEngine Engine { get; }

    EngineStats Stats { get; }

    /// <summary>Stops the engine: in-flight requests get the grace period, then end with finish reason abort.</summary>
    Task StopAsync(CancellationToken cancellationToken);
}
