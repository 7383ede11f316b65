using System.Security.Cryptography;
using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// A tool call in an answer: <c>{"id", "type": "function", "function": {"name", "arguments"}}</c>. In a stream the
/// first chunk of a call carries its index, id, type and name, and later ones only the index and more arguments.
/// </summary>
public sealed record ChatToolCall(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Index,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Type,
    ChatFunctionCall Function)
{
    /// <summary>A new call id, as OpenAI writes them (<c>call_</c> and 24 random characters).</summary>
    public static string NewId() => "call_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
}

/// <param name="Arguments">The arguments as JSON text (the whole text, or in a stream the part this chunk adds).</param>
public sealed record ChatFunctionCall([property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name, string Arguments);
