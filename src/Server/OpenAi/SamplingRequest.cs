using System.Text.Json;
using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi;

/// <summary>The fields completions and chat share: model, sampling, stop conditions, streaming (OpenAI + vLLM extensions).</summary>
public abstract class SamplingRequest
{
    public string? Model { get; set; }
    public int? N { get; set; }
    public float? Temperature { get; set; }
    public float? TopP { get; set; }
    public int? TopK { get; set; }
    public float? MinP { get; set; }
    public float? PresencePenalty { get; set; }
    public float? FrequencyPenalty { get; set; }
    public float? RepetitionPenalty { get; set; }
    public Dictionary<string, float>? LogitBias { get; set; }
    public long? Seed { get; set; }

    [JsonConverter(typeof(StringOrListConverter))]
    public List<string>? Stop { get; set; }

    public List<int>? StopTokenIds { get; set; }

    /// <summary>vLLM: the only token ids that may be sampled (<see cref="TokenRulesMapper"/>).</summary>
    public List<int>? AllowedTokenIds { get; set; }

    /// <summary>vLLM: words the output never completes (<see cref="TokenRulesMapper"/>).</summary>
    public List<string>? BadWords { get; set; }
    public bool? IgnoreEos { get; set; }

    /// <summary>vLLM: tokens each sample generates before EOS or stop_token_ids can end it (0..max_tokens).</summary>
    public int? MinTokens { get; set; }

    /// <summary>vLLM: keep the matched stop string at the end of the text (default false: cut before it).</summary>
    public bool? IncludeStopStrInOutput { get; set; }

    /// <summary>vLLM: use only the last k tokens of each tokenized prompt (k >= 1; -1 or null: all of it).</summary>
    public int? TruncatePromptTokens { get; set; }

    /// <summary>vLLM: leave special tokens (&lt;|endoftext|&gt; generated with ignore_eos) out of the text (default true).</summary>
    public bool? SkipSpecialTokens { get; set; }

    /// <summary>
    /// vLLM: let the tokenizer's post-processor add its special tokens to the prompt (vLLM's default: true for
    /// completions, false for chat). Accepted when it changes nothing for the served tokenizer (GPT-NeoX's adds none).
    /// </summary>
    public bool? AddSpecialTokens { get; set; }

    public bool? Stream { get; set; }
    public StreamOptions? StreamOptions { get; set; }
    public string? User { get; set; }

    /// <summary>vLLM: score the prompt's tokens, listing this many alternatives per position (0–20; -1, the whole vocabulary, is refused).</summary>
    public int? PromptLogprobs { get; set; }

    /// <summary>vLLM: the request's id (1 to 256 characters): the response id becomes cmpl-/chatcmpl-&lt;request_id&gt;.</summary>
    public string? RequestId { get; set; }

    /// <summary>OpenAI's output format: <c>{"type": "text"}</c>, <c>"json_object"</c> or <c>"json_schema"</c> (<see cref="StructuredOutputMapper"/>).</summary>
    public JsonElement? ResponseFormat { get; set; }

    /// <summary>vLLM's structured outputs: <c>{"json_object": true}</c>, <c>{"json": schema}</c>, <c>{"regex": "..."}</c> or <c>{"choice": [...]}</c>.</summary>
    public JsonElement? StructuredOutputs { get; set; }

    /// <summary>vLLM's older spelling of structured_outputs.choice.</summary>
    public List<string>? GuidedChoice { get; set; }

    /// <summary>vLLM's older spelling of structured_outputs.json: a JSON schema, as an object or its JSON text.</summary>
    public JsonElement? GuidedJson { get; set; }

    /// <summary>vLLM's older spelling of structured_outputs.regex.</summary>
    public string? GuidedRegex { get; set; }

    /// <summary>vLLM's older spelling of structured_outputs.grammar: a GBNF grammar the output must match.</summary>
    public string? GuidedGrammar { get; set; }

    /// <summary>llama.cpp server's spelling of the same: a GBNF grammar the output must match.</summary>
    public string? Grammar { get; set; }

    /// <summary>vLLM: the prefix-state cache partition (a non-empty string); requests share cached prompt prefixes only with the same salt.</summary>
    public string? CacheSalt { get; set; }

    /// <summary>vLLM: report logprob tokens as "token_id:N" even when a tokenizer exists.</summary>
    public bool? ReturnTokensAsTokenIds { get; set; }

    /// <summary>
    /// vLLM: the response also gives the prompt's token ids and each choice's generated token ids (stop tokens
    /// included, echo not); a stream gives the prompt's ids in its first chunk and each chunk's new ids.
    /// </summary>
    public bool? ReturnTokenIds { get; set; }
}
