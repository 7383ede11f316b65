using System.Security.Cryptography;

namespace MambaServe.Engine.Conversations;

/// <summary>
/// Response ids: <c>resp_</c> and 48 lowercase hex digits, 192 random bits from <see cref="RandomNumberGenerator"/>, so
/// they cannot be guessed. Ids name files in the disk tier, so only this exact form is ever looked up.
/// </summary>
public static class ResponseIds
{
    public const string Prefix = "resp_";
    private const int RandomBytes = 24;

    public static string New() => Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(RandomBytes));

    /// <summary>True for ids <see cref="New"/> could have made (anything else is unknown without looking).</summary>
    public static bool IsWellFormed(string? id)
    {
        if (id is null || id.Length != Prefix.Length + RandomBytes * 2 || !id.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (char c in id.AsSpan(Prefix.Length))
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
