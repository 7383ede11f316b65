using MambaServe.Engine.Sampling;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Engine.Hosting;

/// <summary>
/// Token ids to text for the engine loop: the streaming detokenizer (whole UTF-8 characters only) piped through the
/// stop-string matcher, as the request's sampling parameters ask (skip_special_tokens, include_stop_str_in_output). A model served without a tokenizer produces no text (clients get token ids).
/// </summary>
public sealed class DetokenizingTextStreamFactory(MambaTokenizer? tokenizer) : ITextStreamFactory
{
    public ITextStream Create(SamplingParams sampling) =>
        tokenizer is null
            ? new NoText()
            : new Stream(
                tokenizer.CreateStreamingDetokenizer(sampling.SkipSpecialTokens),
                new StopStringMatcher(sampling.Stop, sampling.IncludeStopStrInOutput));

    private sealed class Stream(StreamingDetokenizer detokenizer, StopStringMatcher stops) : ITextStream
    {
        // The detokenizer's held-back bytes belong to the last token pushed, so its flush may stop only if that could.
        private bool _mayStop = true;

        public TextStep Push(int tokenId, bool mayStop)
        {
            _mayStop = mayStop;
            var (emit, stopped) = stops.Push(detokenizer.Push(tokenId), mayStop);
            return new TextStep(emit, stopped);
        }

        public string Flush()
        {
            var (emit, stopped) = stops.Push(detokenizer.Flush(), _mayStop);
            return stopped ? emit : emit + stops.Flush();
        }
    }

    private sealed class NoText : ITextStream
    {
        public TextStep Push(int tokenId, bool mayStop) => new(string.Empty, false);
        public string Flush() => string.Empty;
    }
}
