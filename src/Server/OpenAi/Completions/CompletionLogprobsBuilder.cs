using MambaServe.Engine.Generation;

namespace MambaServe.Server.OpenAi.Completions;

/// <summary>
/// Accumulates one choice's legacy logprobs; text offsets count characters from the start of the choice's text. When
/// <see cref="Streaming"/>, each <see cref="Add"/> replaces what the last one added (only the running offset is kept),
/// so a stream of any length holds one chunk's entries, never the whole choice's.
/// </summary>
public sealed class CompletionLogprobsBuilder(TokenNames names, int startOffset = 0)
{
    public bool Streaming { get; init; }

    private readonly CompletionLogprobs _logprobs = new([], [], [], []);
    private int _offset = startOffset;

    public CompletionLogprobs Result => _logprobs;

    public void Add(IEnumerable<TokenLogprob> entries)
    {
        if (Streaming)
        {
            _logprobs.Tokens.Clear();
            _logprobs.TokenLogprobs.Clear();
            _logprobs.TopLogprobs.Clear();
            _logprobs.TextOffset.Clear();
        }

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
