using MambaServe.Engine.Generation;

namespace MambaServe.Server.OpenAi.Completions;

/// <summary>Accumulates one choice's legacy logprobs; text offsets count characters from the start of the choice's text.</summary>
public sealed class CompletionLogprobsBuilder(TokenNames names, int startOffset = 0)
{
    private readonly CompletionLogprobs _logprobs = new([], [], [], []);
    private int _offset = startOffset;

    public CompletionLogprobs Result => _logprobs;

    public void Add(IEnumerable<TokenLogprob> entries)
    {
        foreach (var entry in entries)
        {
            var text = names.Of(entry.TokenId);
            _logprobs.Tokens.Add(text);
            _logprobs.TokenLogprobs.Add(entry.Logprob is { } lp ? TokenNames.Clamp(lp) : null);
            _logprobs.TopLogprobs.Add(entry.Logprob is null ? null : Top(entry));
            _logprobs.TextOffset.Add(_offset);
            _offset += text.Length;
        }
    }

    private Dictionary<string, float> Top(TokenLogprob entry)
    {
        var top = new Dictionary<string, float>();
        foreach (var (id, logprob) in entry.Top)
        {
            // Two ids can share a text (byte-fallback pieces); the first (most likely) keeps the key.
            top.TryAdd(names.Of(id), TokenNames.Clamp(logprob));
        }

        return top;
    }
}
