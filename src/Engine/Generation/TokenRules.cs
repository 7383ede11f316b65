namespace MambaServe.Engine.Generation;

/// <summary>
/// vLLM's vocabulary rules for a request: <c>allowed_token_ids</c> (every other id is banned, EOS included unless
/// listed) and <c>bad_words</c> as token sequences (the last token of a sequence is banned wherever the tokens generated
/// so far end with the rest of it, so the sequence is never completed; a one-token sequence is always banned).
/// Served as a constraint, so both backends ban through the same per-row mask as structured outputs.
/// </summary>
public sealed class TokenRules : ITokenConstraintFactory
{
    private readonly int _vocabulary;
    private readonly int[][] _longWords;

    /// <param name="vocabulary">Ids the masks cover: the model's sampleable vocabulary.</param>
    /// <param name="allowed">The only ids that may be sampled, or null for all.</param>
    /// <param name="badWords">Token sequences never to complete, each non-empty.</param>
    public TokenRules(int vocabulary, IReadOnlyCollection<int>? allowed, IReadOnlyList<IReadOnlyList<int>> badWords)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabulary);
        ArgumentNullException.ThrowIfNull(badWords);
        if (badWords.Any(w => w.Count == 0))
        {
            throw new ArgumentException("A bad word needs at least one token.", nameof(badWords));
        }

        _vocabulary = vocabulary;
        _longWords = [.. badWords.Where(w => w.Count > 1).Select(w => w.ToArray())];
        var always = badWords.Where(w => w.Count == 1).Select(w => w[0]);
        if (allowed is null)
        {
            AlwaysBanned = TokenMask.Of(always, vocabulary);
        }
        else
        {
            var open = new bool[vocabulary];
            foreach (int id in allowed)
            {
                open[(uint)id < (uint)vocabulary ? id : throw new ArgumentOutOfRangeException(nameof(allowed), $"Allowed ids must be in [0, {vocabulary}); got {id}.")] = true;
            }

            AlwaysBanned = TokenMask.Union(TokenMask.BanningAllBut(open), always, vocabulary);
        }

        Window = _longWords.Length == 0 ? 0 : _longWords.Max(w => w.Length) - 1;
    }

    /// <summary>What is banned at every step: ids outside the allowed set and one-token bad words.</summary>
    public TokenMask AlwaysBanned { get; }

    /// <summary>How many of the last generated tokens a longer bad word can depend on.</summary>
    private int Window { get; }

    public bool EndsWithEos => false;

    public ITokenConstraint Create() => new Constraint(this);

    /// <summary>Whether some id the rules always allow is not one of <paramref name="ids"/> (min_tokens bans EOS and the stop ids).</summary>
    public bool AllowsSomeBeyond(IEnumerable<int> ids)
    {
        var excluded = new HashSet<int>(ids);
        return Enumerable.Range(0, _vocabulary).Any(id => !AlwaysBanned.Bans(id) && !excluded.Contains(id));
    }

    /// <summary>The ids that would complete a longer bad word after <paramref name="recent"/> (the last generated tokens, oldest first).</summary>
    private IEnumerable<int> Completing(IReadOnlyList<int> recent)
    {
        foreach (var word in _longWords)
        {
            int prefix = word.Length - 1;
            if (recent.Count < prefix)
            {
                continue;
            }

            bool matches = true;
            for (int i = 0; i < prefix && matches; i++)
            {
                matches = recent[recent.Count - prefix + i] == word[i];
            }

            if (matches)
            {
                yield return word[^1];
            }
        }
    }

    /// <summary>One sample: the last tokens it generated, as far back as a bad word reaches.</summary>
    private sealed class Constraint(TokenRules rules) : ITokenConstraint
    {
        private readonly List<int> _recent = [];

        public TokenMask Banned()
        {
            var completing = rules.Completing(_recent).ToList();
            return completing.Count == 0 ? rules.AlwaysBanned : TokenMask.Union(rules.AlwaysBanned, completing, rules._vocabulary);
        }

        public void Advance(int tokenId)
        {
            if (rules.Window == 0)
            {
                return;
            }

            _recent.Add(tokenId);
            if (_recent.Count > rules.Window)
            {
                _recent.RemoveAt(0);
            }
        }
    }
}
