namespace MambaServe.Server.OpenAi.Validation;

/// <summary>
/// "Did you mean" for field names: the known name closest to a typo (at most two edits, or the same letters spelled
/// camelCase or with dashes). Edit distance is a dozen lines, not worth a package.
/// </summary>
public static class Spelling
{
    // Longer names are no typos of a known field; the bound keeps the quadratic distance cheap on hostile input.
    private const int MaxLength = 64;

    public static string? Closest(string typo, IEnumerable<string> known)
    {
        if (typo.Length > MaxLength)
        {
            return null;
        }

        var normalized = Normalize(typo);
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var name in known)
        {
            int distance = Normalize(name) == normalized ? 0 : Distance(typo, name);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (name, distance);
            }
        }

        int allowed = typo.Length < 5 ? 1 : 2;
        return bestDistance <= allowed ? best : null;
    }

    private static string Normalize(string name) =>
        string.Concat(name.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant));

    // Levenshtein distance, two rows.
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitute, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
