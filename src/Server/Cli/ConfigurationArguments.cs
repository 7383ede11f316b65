namespace MambaServe.Server.Cli;

/// <summary>
/// Separates configuration overrides (<c>--Section:Key=value</c> or <c>--Section:Key value</c>: a name with a colon,
/// or one of the host's own settings such as <c>--environment</c>) from the options the parser knows, so that the
/// parser can treat every other unknown token as an error.
/// </summary>
public static class ConfigurationArguments
{
    // The generic host's settings (HostDefaults) and the configuration's top sections: WebApplicationFactory passes its
    // whole configuration this way, sections included (--MambaServe=).
    private static readonly HashSet<string> s_hostKeys =
        new(["environment", "contentRoot", "applicationName", "MambaServe", "Serilog", "Logging"], StringComparer.OrdinalIgnoreCase);

    /// <param name="Configuration">The overrides, each as one <c>--Key=value</c> token, for the host's configuration.</param>
    /// <param name="Rest">Everything else, in order.</param>
    /// <param name="Errors">Overrides without a value.</param>
    public sealed record Split(IReadOnlyList<string> Configuration, IReadOnlyList<string> Rest, IReadOnlyList<string> Errors);

    public static Split Separate(IReadOnlyList<string> args)
    {
        var configuration = new List<string>();
        var rest = new List<string>();
        var errors = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            var token = args[i];
            if (token == "--")
            {
                // Everything after "--" is an argument, never an option.
                rest.AddRange(args.Skip(i));
                break;
            }

            if (!IsOverride(token, out var name, out var value))
            {
                rest.Add(token);
            }
            else if (value is not null)
            {
                configuration.Add($"--{name}={value}");
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                configuration.Add($"--{name}={args[++i]}");
            }
            else
            {
                errors.Add($"{token} needs a value: {token}=VALUE.");
            }
        }

        return new Split(configuration, rest, errors);
    }

    private static bool IsOverride(string token, out string name, out string? value)
    {
        name = string.Empty;
        value = null;
        if (!token.StartsWith("--", StringComparison.Ordinal) || token.Length < 3 || !char.IsAsciiLetter(token[2]))
        {
            return false;
        }

        int equals = token.IndexOf('=', StringComparison.Ordinal);
        name = equals < 0 ? token[2..] : token[2..equals];
        value = equals < 0 ? null : token[(equals + 1)..];
        return name.Contains(':', StringComparison.Ordinal) || s_hostKeys.Contains(name);
    }
}
