using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi;

/// <summary>
/// How a token is shown in logprobs: its text, or "token_id:N" when the model has no tokenizer or the client asked for
/// ids (vLLM's return_tokens_as_token_ids), which also keeps byte-fallback tokens unambiguous.
/// </summary>
public sealed class TokenNames(IServedModel model, bool asTokenIds)
{
    public string Of(int id) => !asTokenIds && model.Tokenizer is { } tokenizer ? tokenizer.TokenText(id) : $"token_id:{id}";

    /// <summary>Logprobs on the wire: -inf (a banned token) is not valid JSON, so it is clamped as vLLM does.</summary>
    public static float Clamp(float logprob) => float.IsNegativeInfinity(logprob) || float.IsNaN(logprob) ? -9999f : logprob;
}
