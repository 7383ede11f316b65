namespace MambaServe.Engine.Generation;

/// <summary>
/// A finished sample's token counts. <see cref="CachedPromptTokens"/> is how many of the prompt's tokens the engine did
/// not prefill because the prefix-state cache held the state after them (0 with no hit, and for a prompt that continues
/// a start state, which the caller counts itself).
/// </summary>
public sealed record GenerationUsage(int PromptTokens, int CompletionTokens, int CachedPromptTokens = 0)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}
