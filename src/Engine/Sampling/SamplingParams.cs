namespace MambaServe.Engine.Sampling;

/// <summary>
/// How to choose each next token of one sequence, and when to stop. Immutable; validated by <see cref="Validate"/>
/// before a request reaches the engine. Defaults follow the OpenAI completions API.
/// </summary>
public sealed record SamplingParams
{
    /// <summary>0 means greedy (argmax); otherwise logits are divided by it.</summary>
    public float Temperature { get; init; } = 1f;
    /// <summary>0 disables top-k.</summary>
    public int TopK { get; init; }
    public float TopP { get; init; } = 1f;
    public float MinP { get; init; }
    /// <summary>1 disables; &gt; 1 discourages tokens already in the prompt or output (CTRL-style).</summary>
    public float RepetitionPenalty { get; init; } = 1f;
    public float PresencePenalty { get; init; }
    public float FrequencyPenalty { get; init; }
    /// <summary>Added to the logit of each listed token id before sampling (-100 bans, +100 forces).</summary>
    public IReadOnlyDictionary<int, float> LogitBias { get; init; } = new Dictionary<int, float>();
    /// <summary>Same seed, same output; null draws a fresh seed.</summary>
    public long? Seed { get; init; }
    /// <summary>Tokens to generate; 0 chooses none (scoring: the request ends after prefill with its prompt logprobs).</summary>
    public int MaxTokens { get; init; } = 16;
    /// <summary>
    /// vLLM's min_tokens: the first this many tokens of each sample cannot be EOS or one of <see cref="StopTokenIds"/>
    /// (the runner's sampler bans them) and no stop condition ends the sample on them (a stop string must end in a
    /// later token's text); max_tokens still does. 0 (the default) changes nothing; at most <see cref="MaxTokens"/>.
    /// </summary>
    public int MinTokens { get; init; }
    /// <summary>Text is cut before the first occurrence of any of these (after it with <see cref="IncludeStopStrInOutput"/>).</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];
    /// <summary>
    /// vLLM's include_stop_str_in_output: a matched stop string stays in the text, which then ends right after it
    /// (text after it in the same token is still dropped). False (the default) cuts the text before it.
    /// </summary>
    public bool IncludeStopStrInOutput { get; init; }
    /// <summary>
    /// vLLM's skip_special_tokens: the text leaves out tokens the tokenizer marks special (GPT-NeoX's
    /// &lt;|endoftext|&gt; generated with ignore_eos). False (the engine's default, kept for gRPC and generate) renders
    /// their text; the OpenAI routes default to true, as vLLM. Token ids and logprob tokens are unaffected.
    /// </summary>
    public bool SkipSpecialTokens { get; init; }
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];
    /// <summary>When set, the model's EOS token does not end the sequence.</summary>
    public bool IgnoreEos { get; init; }
    /// <summary>Top-N logprobs to report per sampled token (null: none; 0: the sampled token's only).</summary>
    public int? Logprobs { get; init; }
    /// <summary>Top-N logprobs to report per prompt token (null: none), for scoring.</summary>
    public int? PromptLogprobs { get; init; }
}
