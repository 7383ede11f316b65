using System.Security.Cryptography;
using System.Text;

namespace MambaServe.Server.Hosting;

/// <summary>
/// Who a stored response belongs to: with API keys on, the hex SHA-256 of the key that created it (the key itself is
/// never stored); with the API open, everyone (the empty owner). Only the owner may read, continue or delete it;
/// anyone else is told it does not exist.
/// </summary>
public static class ConversationOwner
{
    /// <summary>The owner for a request that carried <paramref name="authorization"/> (already checked by the key middleware or interceptor).</summary>
    public static string Of(string? authorization, ServerOptions options)
    {
        const string prefix = "Bearer ";
        if (options.ApiKeys.Length == 0 || authorization is null || !authorization.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return string.Empty;
        }

        var key = authorization[prefix.Length..].Trim();
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }
}
