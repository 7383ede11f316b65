using System.CommandLine;
using System.Globalization;

namespace MambaServe.Server.Cli;

/// <summary>
/// One first-class serve option and the configuration key it sets: the option wins over appsettings.json,
/// environment variables and <c>--Section:Key=value</c>, because it is added as the last configuration source.
/// Help shows its default and its key, so every option also documents how to set it in a file.
/// </summary>
public sealed class ServeSetting
{
    private readonly Func<ParseResult, IEnumerable<KeyValuePair<string, string?>>> _read;

    private ServeSetting(Option option, string key, Func<ParseResult, IEnumerable<KeyValuePair<string, string?>>> read)
    {
        Option = option;
        Key = key;
        _read = read;
    }

    public Option Option { get; }

    /// <summary>The configuration key (<c>MambaServe:Server:Port</c>); for a list, the array's key.</summary>
    public string Key { get; }

    /// <summary>A text value, optionally one of <paramref name="allowed"/> (help lists them).</summary>
    public static ServeSetting Text(string name, string key, string defaultText, string description, string[]? allowed = null, bool recursive = false)
    {
        var option = new Option<string?>(name) { Description = Describe(description, defaultText, key), Recursive = recursive };
        if (allowed is not null)
        {
            option.AcceptOnlyFromAmong(allowed);
        }

        return new ServeSetting(option, key, parse => Single(key, parse.GetValue(option)));
    }

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static ServeSetting Integer(string name, string key, object defaultValue, string description, int min, int max)
    {
        var option = new Option<string?>(name)
        {
            Description = Describe(description, Convert.ToString(defaultValue, CultureInfo.InvariantCulture)!, key),
            HelpName = "n",
        };
        option.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string?>();
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            {
                result.AddError($"{name} takes a whole number from {min} to {max}, not '{text}'.");
            }
        });
        return new ServeSetting(option, key, parse => Single(key, parse.GetValue(option)));
    }

    /// <summary>
    /// A switch, as vLLM's store_true flags: <c>--name</c> alone sets the key to true, <c>--name false</c> to false;
    /// absent, the configuration decides.
    /// </summary>
    public static ServeSetting Flag(string name, string key, string description)
    {
        var option = new Option<bool>(name) { Description = Describe(description, "off", key) };
        return new ServeSetting(option, key, parse => parse.GetResult(option) is not { Implicit: false }
            ? []
            : [KeyValuePair.Create(key, (string?)(parse.GetValue(option) ? "true" : "false"))]);
    }

    /// <summary>A repeatable value; given on the command line, the list replaces the configured one.</summary>
    public static ServeSetting List(string name, string key, string defaultText, string description)
    {
        var option = new Option<string[]>(name) { Description = Describe(description + " Repeatable.", defaultText, key) };
        return new ServeSetting(option, key, parse =>
            (parse.GetValue(option) ?? []).Select((value, i) => KeyValuePair.Create($"{key}:{i}", (string?)value)));
    }

    /// <summary>The configuration entries this option sets in <paramref name="parse"/>; none when it is absent.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Read(ParseResult parse) => _read(parse);

    private static string Describe(string description, string defaultText, string key) =>
        $"{description} [default: {defaultText}] [setting: {key}]";

    private static IEnumerable<KeyValuePair<string, string?>> Single(string key, string? value) =>
        string.IsNullOrWhiteSpace(value) ? [] : [KeyValuePair.Create(key, (string?)value)];
}
