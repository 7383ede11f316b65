using MambaServe.Engine.Generation;
using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi;

/// <summary>
/// vLLM's <c>allowed_token_ids</c> and <c>bad_words</c> as the engine's <see cref="TokenRules"/>. A bad word is banned
/// as the model would write it at the start of the output and after a space (vLLM tokenizes both). Both are
/// constraints on every token, as a structured output is, so a request may have one or the other: together they could
/// leave no token to sample, and they are a 400 instead.
/// </summary>
public static class TokenRulesMapper
{
    /// <summary><paramref name="constraint"/> (a structured output or a tool call's), or the request's token rules; a 400 when it has both.</summary>
    public static ITokenConstraintFactory? With(ITokenConstraintFactory? constraint, SamplingRequest request, IServedModel model) =>
        With(constraint, request.AllowedTokenIds, request.BadWords, model);

    /// <summary>The same from the fields themselves (gRPC's, where an empty list means none).</summary>
    public static ITokenConstraintFactory? With(
        ITokenConstraintFactory? constraint, IReadOnlyList<int>? allowedTokenIds, IReadOnlyList<string>? badWords, IServedModel model)
    {
        var rules = Map(allowedTokenIds, badWords, model);
        if (rules is null)
        {
            return constraint;
        }

        string param = allowedTokenIds is { Count: > 0 } ? "allowed_token_ids" : "bad_words";
        return constraint is null
            ? rules
            : throw ApiException.BadRequest(
                $"{param} cannot be combined with a structured output or a tool call: each bans tokens at every step, and together they may leave none to sample.", param);
    }

    private static TokenRules? Map(IReadOnlyList<int>? allowed, IReadOnlyList<string>? badWords, IServedModel model)
    {
        if (allowed is { Count: 0 })
        {
            throw ApiException.BadRequest("allowed_token_ids must list at least one token id (leave it out to allow all).", "allowed_token_ids");
        }

        int vocabulary = model.SampleableVocab;
        if (allowed is not null && allowed.Any(id => id < 0 || id >= vocabulary))
        {
            throw ApiException.BadRequest($"allowed_token_ids must be token ids in [0, {vocabulary}).", "allowed_token_ids");
        }

        var words = BadWordSequences(badWords, model);
        return allowed is null && words.Count == 0 ? null : new TokenRules(vocabulary, allowed, words);
    }

    private static List<IReadOnlyList<int>> BadWordSequences(IReadOnlyList<string>? badWords, IServedModel model)
    {
        var sequences = new List<IReadOnlyList<int>>();
        if (badWords is not { Count: > 0 })
        {
            return sequences;
        }

        var tokenizer = model.Tokenizer ?? throw ApiException.BadRequest($"bad_words needs the model's tokenizer, and `{model.Name}` is served without one.", "bad_words");
        for (int i = 0; i < badWords.Count; i++)
        {
            var word = badWords[i].TrimStart();
            if (word.Length == 0)
            {
                throw ApiException.BadRequest($"bad_words[{i}] must be a word, not empty or blank.", $"bad_words[{i}]");
            }

            foreach (var spelling in new[] { word, " " + word })
            {
                var tokens = tokenizer.Encode(spelling);
                if (tokens.Count > 0 && !sequences.Any(s => s.SequenceEqual(tokens)))
                {
                    sequences.Add([.. tokens]);
                }
            }
        }

        return sequences;
    }
}
