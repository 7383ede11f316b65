using MambaServe.Engine.Conversations;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Tokenization;
using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.Hosting;

/// <summary>What the API layer needs of a loaded model: its name, tokenizer (absent: token-id prompts only) and engine.</summary>
public interface IServedModel : IAsyncDisposable
{
    string Name { get; }

    MambaTokenizer? Tokenizer { get; }

    /// <summary>The model's own chat template, compiled at load; null when it has none (chat uses the documented default).</summary>
    ModelChatTemplate? ChatTemplate { get; }

    /// <summary>Token ids at or above it are padding rows: rejected in prompts.</summary>
    int SampleableVocab { get; }

    IGenerationEngine Engine { get; }

    /// <summary>The Responses API's state store for this model (saved states are the runner's, so it lives with the model).</summary>
    ConversationStore? Conversations { get; }

    EngineStats Stats { get; }

    /// <summary>Stops the engine: in-flight requests get the grace period, then end with finish reason abort.</summary>
    Task StopAsync(CancellationToken cancellationToken);

    /// <summary>Null while the model's device is healthy; otherwise why it was lost (health turns 503).</summary>
    string? FaultReason => null;

    /// <summary>What the model runs on, for the load's log line: "cpu (2 threads, bf16 weights, fp32 state)".</summary>
    string Device => "an unnamed device";
}
