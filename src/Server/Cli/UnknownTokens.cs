using System.CommandLine;
using System.CommandLine.Parsing;

namespace MambaServe.Server.Cli;

/// <summary>
/// Turns the tokens the parser could not match into one error line each, with the nearest option name as a
/// suggestion ("--prot" → "--port"). An unknown option's value is not reported again. System.CommandLine's own
/// report prints the whole help text and suggests `-h` for numbers, so the server writes its own.
/// </summary>
public static class UnknownTokens
{
    public static IReadOnlyList<string> Describe(ParseResult parse)
    {
        var lines = new List<string>();
        bool afterUnknownOption = false;
        foreach (var token in parse.UnmatchedTokens)
        {
            if (token.StartsWith('-'))
            {
                var name = token.Split('=', 2)[0];
                lines.Add(Suggest(name, parse.CommandResult.Command, parse.RootCommandResult.Command) is { } hint
                    ? $"unknown option '{name}': did you mean {hint}?"
                    : $"unknown option '{name}'.");
                afterUnknownOption = !token.Contains('=', StringComparison.Ordinal);
            }
            else if (afterUnknownOption)
            {
                afterUnknownOption = false;
            }
            else
            {
                lines.Add($"unexpected argument '{token}'.");
            }
        }

        return lines;
    }

    /// <summary>The parser's errors other than its own report of the unmatched tokens, which <see cref="Describe"/> replaces.</summary>
    public static IEnumerable<string> OtherErrors(ParseResult parse) =>
        parse.Errors
            .Where(e => e.SymbolResult is not (null or CommandResult)
                        || !parse.UnmatchedTokens.Any(t => e.Message.Contains($"'{t}'", StringComparison.Ordinal)))
            .Select(e => e.Message);

    /// <summary>The closest option of <paramref name="command"/> (and its recursive parents' options), else of any command.</summary>
    private static string? Suggest(string name, Command command, Command root)
    {
        var own = Names(command).Concat(root.Options.Where(o => o.Recursive).SelectMany(o => o.Aliases.Prepend(o.Name)));
        if (Closest(name, own) is { } match)
        {
            return match;
        }

        return AllCommands(root).Where(c => c != command)
            .Select(c => (Command: c, Match: Closest(name, Names(c))))
            .Where(x => x.Match is not null)
            .Select(x => $"{x.Match} (an option of `{(x.Command == root ? "serve" : x.Command.Name)}`)")
            .FirstOrDefault();
    }

    private static IEnumerable<string> Names(Command command) => command.Options.SelectMany(o => o.Aliases.Prepend(o.Name));

    private static IEnumerable<Command> AllCommands(Command command) => command.Subcommands.SelectMany(AllCommands).Prepend(command);

    private static string? Closest(string name, IEnumerable<string> candidates)
    {
        var bare = name.TrimStart('-');
        return candidates
            .Where(c => c.StartsWith("--", StringComparison.Ordinal))
            .Select(c => (Name: c, Distance: c.TrimStart('-').StartsWith(bare, StringComparison.Ordinal) && bare.Length >= 3 ? 0 : Distance(bare, c.TrimStart('-'))))
            .Where(c => c.Distance <= Math.Max(2, bare.Length / 3))
            .OrderBy(c => c.Distance)
            .Select(c => c.Name)
            .FirstOrDefault();
    }

    /// <summary>Edit distance counting a swap of neighbours as one edit ("prot" → "port" is 1).</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
