using System.Globalization;
using System.Text.Json;

namespace MambaServe.Engine.Tests.Structured;

/// <summary>Random JSON objects, one-byte mutations of them, and System.Text.Json's verdict: the oracle of the JSON grammars' tests.</summary>
internal static class RandomJson
{
    /// <summary>An object up to a few levels deep, with optional spaces between tokens (and after it when <paramref name="spaceAfter"/>).</summary>
    public static string Object(Random rng, int depth, bool spaceAfter = false)
    {
        var members = Enumerable.Range(0, rng.Next(depth > 2 ? 2 : 4))
            .Select(i => $"\"k{i}{(rng.Next(3) == 0 ? "\\n\u00e9\\u00E9" : "")}\"{Space(rng)}:{Space(rng)}{Value(rng, depth + 1)}{Space(rng)}");
        return "{" + Space(rng) + string.Join("," + Space(rng), members) + "}" + (spaceAfter ? Space(rng) : "");
    }

    /// <summary>One ASCII byte replaced by a JSON-significant one: mostly invalid, sometimes still valid. (Bytes of a
    /// multi-byte character are left alone: System.Text.Json does not check UTF-8 while it parses; the grammars do.)</summary>
    public static void Mutate(Random rng, byte[] bytes)
    {
        var ascii = Enumerable.Range(0, bytes.Length).Where(i => bytes[i] < 0x80).ToArray();
        bytes[ascii[rng.Next(ascii.Length)]] = (byte)"{}[]\":,0-1e.tfn \\a"[rng.Next(18)];
    }

    /// <summary>Whether System.Text.Json reads the bytes as one object that starts at the first byte.</summary>
    public static bool ParsesAsObject(byte[] bytes)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            return doc.RootElement.ValueKind == JsonValueKind.Object && bytes[0] == '{';
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Value(Random rng, int depth) => rng.Next(depth > 3 ? 6 : 8) switch
    {
        0 => rng.Next(-1000, 1000).ToString(CultureInfo.InvariantCulture),
        1 => (rng.NextDouble() * 1e6 - 5e5).ToString("R", CultureInfo.InvariantCulture),
        2 => "\"text " + rng.Next() + "\\\"\"",
        3 => rng.Next(2) == 0 ? "true" : "false",
        4 => "null",
        5 => "1.5e-3",
        6 => Object(rng, depth),
        _ => "[" + Space(rng) + string.Join("," + Space(rng), Enumerable.Range(0, rng.Next(3)).Select(_ => Value(rng, depth + 1) + Space(rng))) + "]",
    };

    private static string Space(Random rng) => rng.Next(4) == 0 ? " " : "";
}
