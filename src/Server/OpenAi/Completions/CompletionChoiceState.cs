using MambaServe.Engine.Generation;
using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Completions;

/// <summary>
/// One choice as it builds up: applies echo (the prompt's text and scored tokens come first) and yields each update's
/// share. A scoring request (max_tokens 0) gets no token from the engine, only its prompt logprobs. With vLLM's
/// prompt_logprobs the first update also yields the prompt's scores in that shape.
/// </summary>
/// <param name="echoTop">Alternatives echo lists per prompt token (the engine may score more for prompt_logprobs).</param>
public sealed class CompletionChoiceState(
    PreparedPrompt prompt, bool echo, TokenNames? logprobNames, int echoTop = 0, PromptLogprobsMapper? promptMapper = null)
{
    private bool _started;

    public int CompletionTokens { get; private set; }

    /// <summary>This choice's prompt tokens (a request with several prompts has several).</summary>
    public int PromptTokens => prompt.Tokens.Count;

    public string? FinishReason { get; private set; }

    /// <summary>
    /// Applies one update: the text to add, the logprobs to add (null when not requested), the prompt_logprobs (on the
    /// first update only, when requested), the finish reason.
    /// </summary>
    public (string Text, CompletionLogprobs? Logprobs, List<Dictionary<string, PromptLogprobEntry>?>? PromptLogprobs) Apply(
        GenerationUpdate update, CompletionLogprobsBuilder? builder)
    {
        string text = string.Empty;
        var entries = new List<TokenLogprob>();
        List<Dictionary<string, PromptLogprobEntry>?>? promptLogprobs = null;
        if (!_started)
        {
            _started = true;
            if (echo)
            {
                text = prompt.Text ?? string.Empty;
                entries.AddRange((update.PromptLogprobs ?? []).Select(p => PromptLogprobsMapper.WithTop(p, echoTop)));
            }

            if (promptMapper is not null && update.PromptLogprobs is { } scored)
            {
                promptLogprobs = promptMapper.Map(scored);
            }
        }

        text += update.TextDelta;
        entries.AddRange(update.Logprobs ?? []);
        CompletionTokens += update.TokenIds.Count;
        if (update.Finish is { } finish)
        {
            FinishReason = FinishReasons.ToWire(finish);
        }

        if (builder is null || logprobNames is null)
        {
            return (text, null, promptLogprobs);
        }

        // The entries just added are the builder's last ones (a streaming builder holds only those).
        builder.Add(entries);
        var all = builder.Result;
        int count = entries.Count;
        int before = all.Tokens.Count - count;
        return (text, new CompletionLogprobs(
            all.Tokens.GetRange(before, count),
            all.TokenLogprobs.GetRange(before, count),
            all.TopLogprobs.GetRange(before, count),
            all.TextOffset.GetRange(before, count)), promptLogprobs);
    }
}
