using MambaServe.Engine.Sampling;
using MambaServe.Engine.Scheduling;

namespace MambaServe.Engine.Tests.Infrastructure;

/// <summary>
/// Token t is the text "&lt;t&gt;"; a stop string ends the sequence as soon as the text so far contains it (ending
/// after the text pushed with mayStop false), and the delta then holds only what precedes the stop string. No
/// hold-back, so <see cref="ITextStream.Flush"/> is empty.
/// </summary>
internal sealed class FakeTextStreamFactory : ITextStreamFactory
{
    public ITextStream Create(SamplingParams sampling) => new Stream(sampling.Stop);

    public static string TextOf(int token) => $"<{token}>";

    private sealed class Stream(IReadOnlyList<string> stops) : ITextStream
    {
        private string _text = string.Empty;
        private int _unmatchable;

        public TextStep Push(int tokenId, bool mayStop)
        {
            int emitted = _text.Length;
            _text += TextOf(tokenId);
            if (!mayStop)
            {
                _unmatchable = _text.Length;
                return new TextStep(_text[emitted..], false);
            }

            foreach (var stop in stops)
            {
                int at = _text.IndexOf(stop, Math.Max(0, _unmatchable - stop.Length + 1), StringComparison.Ordinal);
                if (at >= 0)
                {
                    return new TextStep(_text[emitted..Math.Max(emitted, at)], true);
                }
            }

            return new TextStep(_text[emitted..], false);
        }

        public string Flush() => string.Empty;
    }
}
