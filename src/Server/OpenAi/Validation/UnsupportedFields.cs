using System.Text.Json;
using MambaServe.Server.OpenAi.Chat;
using MambaServe.Server.OpenAi.Completions;

namespace MambaServe.Server.OpenAi.Validation;

/// <summary>
/// OpenAI fields the request types do not bind, and when each is refused. A request that asks for something the
/// server does not do (a grammar, tools, best_of) gets a 400 naming the field rather than a plain-text answer that
/// silently ignores it; values that ask for what the server does anyway are accepted. Fields that only describe the
/// caller and change no output (user, metadata, …) are accepted and not used. vLLM's extensions that ask for
/// something the server does not do (beam search, guided decoding, priorities) follow the same rules, so a client
/// that sends their neutral values is served. docs/server.md lists them.
/// </summary>
public static class UnsupportedFields
{
    private const string NoTools = "this server does not call tools or functions";

    private static readonly Dictionary<string, FieldRule> s_shared = new()
    {
        ["functions"] = v => IsNull(v) || IsEmptyArray(v) ? null : $"functions are not supported: {NoTools}.",
        ["function_call"] = v => IsNull(v) || IsString(v, "none") ? null : $"function_call is not supported (only \"none\"): {NoTools}.",
        ["store"] = v => IsNull(v) || v.ValueKind == JsonValueKind.False ? null : "store is not supported: this server does not store completions.",
        ["modalities"] = v => IsNull(v) || IsTextOnly(v) ? null : "modalities is not supported beyond [\"text\"]: this server generates text only.",
        ["audio"] = NotSupported("audio", "this server generates text only"),
        ["prediction"] = NotSupported("prediction", "predicted outputs are not implemented"),
        ["reasoning_effort"] = NotSupported("reasoning_effort", "the served model is not a reasoning model"),
        ["verbosity"] = NotSupported("verbosity", "the served model has no verbosity setting"),
        ["web_search_options"] = NotSupported("web_search_options", "this server does not search the web"),

        // vLLM's extensions that ask for what the server does not do; their neutral values are accepted.
        ["use_beam_search"] = v => IsNull(v) || v.ValueKind == JsonValueKind.False ? null
            : "use_beam_search is not supported: this server samples (no beam search); ask for several samples with n.",
        ["length_penalty"] = v => IsNull(v) || v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double p) && p == 1.0 ? null
            : "length_penalty is not supported beyond 1.0: it applies only to beam search, which this server does not do.",
        ["logits_processors"] = v => IsNull(v) || IsEmptyArray(v) ? null
            : "logits_processors is not supported: this server runs no custom logits processors.",
        ["priority"] = v => IsNull(v) || v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long p) && p == 0 ? null
            : "priority is not supported beyond 0: this server schedules first come, first served.",
    };

    // Accepted, not used: they describe the caller or route billing, or ask nothing of a server without tools, and
    // change no output. Only their JSON kind is checked.
    private static readonly Dictionary<string, JsonValueKind> s_ignoredShared = new()
    {
        ["metadata"] = JsonValueKind.Object,
        ["service_tier"] = JsonValueKind.String,
        ["safety_identifier"] = JsonValueKind.String,
        ["prompt_cache_key"] = JsonValueKind.String,
        // How long the provider keeps cached prefixes ("in-memory", "24h"): the prefix-state cache keeps its own budget.
        ["prompt_cache_retention"] = JsonValueKind.String,
        ["parallel_tool_calls"] = JsonValueKind.True,
        // vLLM: with a byte-level BPE (the only kind this server serves), detokenizing puts nothing between special
        // tokens whichever value is sent, as vLLM's fast-tokenizer detokenizer does; so both values give the same text.
        ["spaces_between_special_tokens"] = JsonValueKind.True,
    };

    private static readonly Dictionary<string, FieldRule> s_completions = new(s_shared)
    {
        ["best_of"] = v => IsNull(v) || v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int b) && b == 1 ? null
            : "best_of > 1 is not supported: ask for several samples with n and pick among them.",
        ["suffix"] = v => IsNull(v) || IsString(v, string.Empty) ? null : "suffix is not supported: this server does not insert text (no fill-in-the-middle).",
    };

    private static readonly Dictionary<string, FieldRule> s_none = [];
    private static readonly Dictionary<string, JsonValueKind> s_ignoredNone = [];

    /// <summary>Unbound fields of <paramref name="request"/> refused unless their rule accepts the value (none for the tokenizer routes).</summary>
    public static IReadOnlyDictionary<string, FieldRule> Refused(Type request) =>
        request == typeof(CompletionRequest) ? s_completions
        : request == typeof(ChatRequest) ? s_shared
        : s_none;

    /// <summary>
    /// Unbound fields of <paramref name="request"/> accepted and not used, with the JSON kind each must have
    /// (<see cref="JsonValueKind.True"/> stands for a boolean).
    /// </summary>
    public static IReadOnlyDictionary<string, JsonValueKind> Ignored(Type request) =>
        request == typeof(CompletionRequest) || request == typeof(ChatRequest) ? s_ignoredShared : s_ignoredNone;

    private static FieldRule NotSupported(string field, string why) =>
        v => IsNull(v) ? null : $"{field} is not supported: {why}.";

    private static bool IsNull(JsonElement v) => v.ValueKind == JsonValueKind.Null;

    private static bool IsString(JsonElement v, string text) => v.ValueKind == JsonValueKind.String && v.ValueEquals(text);

    private static bool IsEmptyArray(JsonElement v) => v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 0;

    private static bool IsTextOnly(JsonElement v) =>
        v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 1 && IsString(v[0], "text");
}
