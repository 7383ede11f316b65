using System.Security.Cryptography;
using System.Text;
using MambaServe.Engine.Conversations;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// Item ids as OpenAI writes them (a prefix and 48 hex digits): <c>msg_</c> for messages, <c>fc_</c> for function calls,
/// <c>fco_</c> for their outputs. Given once, when a conversation is first stored, and kept by every later response
/// that continues it; documents stored before items had ids get ids derived from the response and the position, so
/// that the same document lists the same ids every time (a page's <c>after</c> cursor stays valid). A response's own
/// output message is <c>msg_</c> and the response id's 48 hex digits, so an <c>item_reference</c> to it finds the
/// response it came from (<see cref="ResponseItemReferences"/>).
/// </summary>
public static class ResponseItemIds
{
    private const int RandomBytes = 24;

    /// <summary>The output message of response <paramref name="responseId"/> (<c>resp_</c> and 48 hex digits): <c>msg_</c> and the same digits.</summary>
    public static string OutputMessageOf(string responseId) =>
        ResponseIds.IsWellFormed(responseId, ResponseIds.Prefix) ? "msg_" + responseId[ResponseIds.Prefix.Length..] : New("msg_");

    /// <summary>The response whose output message <paramref name="itemId"/> is, when it is one such id.</summary>
    public static string? ResponseOfOutputMessage(string itemId)
    {
        if (!itemId.StartsWith("msg_", StringComparison.Ordinal))
        {
            return null;
        }

        string responseId = ResponseIds.Prefix + itemId["msg_".Length..];
        return ResponseIds.IsWellFormed(responseId, ResponseIds.Prefix) ? responseId : null;
    }

    public static string NewFunctionCall() => New("fc_");

    /// <summary><paramref name="message"/> with an id on itself and on each of its calls where the client gave none.</summary>
    public static ConversationMessage Stamped(ConversationMessage message) => message with
    {
        Id = message.Id ?? New(PrefixOf(message)),
        ToolCalls = message.ToolCalls?.Select(c => c.ItemId is null ? c with { ItemId = NewFunctionCall() } : c).ToList(),
    };

    /// <summary>The id of an item stored without one: the same for the same response, message and call every time.</summary>
    public static string Derived(string responseId, int message, int call, string prefix)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{responseId}/{message}/{call}"));
        return prefix + Convert.ToHexStringLower(hash.AsSpan(0, RandomBytes));
    }

    /// <summary>The prefix of a message's own item: a tool message is a function call's output.</summary>
    public static string PrefixOf(ConversationMessage message) => message.Role == "tool" ? "fco_" : "msg_";

    private static string New(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(RandomBytes));
}
