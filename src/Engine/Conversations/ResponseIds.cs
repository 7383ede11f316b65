using System.Security.Cryptography;

namespace MambaServe.Engine.Conversations;

/// <summary>
/// Ids of what the store keeps: responses (<c>resp_</c>) and conversations (<c>conv_</c>), each a prefix and 48
/// lowercase hex digits, 192 random bits from <see cref="RandomNumberGenerator"/>, so they cannot be guessed. Ids name
/// files in the disk tier, so only these exact forms are ever looked up.
/// </summary>
public static class ResponseIds
{
    public const string Prefix = "resp_";
    public const string ConversationPrefix = "conv_";
    private const int RandomBytes = 24;

    public static string New() => New(Prefix);

    public static string NewConversation() => New(ConversationPrefix);

    /// <summary>True for ids <see cref="New"/> or <see cref="NewConversation"/> could have made (anything else is unknown without looking).</summary>
    public static bool IsWellFormed(string? id) => IsWellFormed(id, Prefix) || IsWellFormed(id, ConversationPrefix);

    /// <summary>True for ids made with <paramref name="prefix"/>.</summary>
    public static bool IsWellFormed(string? id, string prefix)
    {
        if (id is null || id.Length != prefix.Length + RandomBytes * 2 || !id.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (char c in id.AsSpan(prefix.Length))
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static string New(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(RandomBytes));
}
