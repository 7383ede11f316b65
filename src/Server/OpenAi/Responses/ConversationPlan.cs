using MambaServe.Engine.Generation;
using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// What a Responses request runs: the tokens to prefill, the state to start from (owned by the plan until handed to
/// the engine), how many context tokens that state already holds, the whole conversation, and its rendering; and, for a
/// response created in a conversation of the Conversations API, where its input and output are to be appended.
/// <see cref="HistoryTokens"/>: when the previous turns' state cannot be continued and the whole conversation is
/// prefilled again, how many of the prompt's tokens are that history, which the server holds and re-prefills on its own.
/// </summary>
public sealed record ConversationPlan(
    PreparedPrompt Prompt,
    InitialState? Start,
    int CachedTokens,
    IReadOnlyList<ConversationMessage> Messages,
    string RenderedText)
{
    public Conversations.ConversationTurn? Turn { get; init; }

    public int HistoryTokens { get; init; }

    /// <summary>What this request adds to the conversation: the tokens the prompt limit and the default output budget count.</summary>
    public int NewTokens => Prompt.Tokens.Count - HistoryTokens;
}
