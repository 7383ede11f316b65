using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>A <c>chat.completion</c> object.</summary>
public sealed record ChatResponse(string Id, long Created, string Model, IReadOnlyList<ChatChoice> Choices, UsageInfo Usage)
{
    [JsonPropertyOrder(-1)]
    public string Object => "chat.completion";
}

public sealed record ChatChoice(int Index, ChatResponseMessage Message, ChatLogprobs? Logprobs, string? FinishReason);

public sealed record ChatResponseMessage(string Content)
{
    public string Role => "assistant";
}

/// <summary>A <c>chat.completion.chunk</c>: one choice's delta, or (usage chunk) no choices and the usage.</summary>
public sealed record ChatChunk(string Id, long Created, string Model, IReadOnlyList<ChatChunkChoice> Choices, UsageInfo? Usage)
{
    [JsonPropertyOrder(-1)]
    public string Object => "chat.completion.chunk";
}

public sealed record ChatChunkChoice(int Index, ChatDelta Delta, ChatLogprobs? Logprobs, string? FinishReason);

public sealed record ChatDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content);

/// <summary>Chat logprobs: one entry per generated token, with its top alternatives.</summary>
public sealed record ChatLogprobs(List<ChatTokenLogprob> Content);

public sealed record ChatTokenLogprob(string Token, float Logprob, IReadOnlyList<int>? Bytes, IReadOnlyList<ChatTopLogprob> TopLogprobs);

public sealed record ChatTopLogprob(string Token, float Logprob, IReadOnlyList<int>? Bytes);
