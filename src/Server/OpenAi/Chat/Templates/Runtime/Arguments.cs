namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>Evaluated call arguments: positional, then keyword (<c>tojson(indent=2)</c>), looked up Python-style.</summary>
internal sealed class Arguments(IReadOnlyList<object?> positional, IReadOnlyList<KeyValuePair<string, object?>> named)
{
    public static Arguments Empty { get; } = new([], []);

    public IReadOnlyList<object?> Positional { get; } = positional;

    public IReadOnlyList<KeyValuePair<string, object?>> Named { get; } = named;

    public static Arguments Of(params object?[] positional) => new(positional, []);

    /// <summary>The argument at <paramref name="index"/> or named <paramref name="name"/>; else <paramref name="fallback"/>.</summary>
    public object? Get(int index, string name, object? fallback = null)
    {
        if (index < Positional.Count)
        {
            return Positional[index];
        }

        foreach (var (key, value) in Named)
        {
            if (key == name)
            {
                return value;
            }
        }

        return fallback;
    }

    /// <summary>A keyword-only argument (<c>map(attribute='x')</c>).</summary>
    public object? GetNamed(string name, object? fallback = null) => Get(int.MaxValue, name, fallback);

    public bool Has(int index, string name) => index < Positional.Count || Named.Any(n => n.Key == name);

    /// <summary>The positional arguments from <paramref name="start"/> on (a filter's or test's own arguments).</summary>
    public Arguments Skip(int start) => new(Positional.Skip(start).ToList(), Named);

    /// <summary>Refuses arguments a function does not take, as Python's TypeError would.</summary>
    public Arguments Check(string function, int maxPositional, params string[] names)
    {
        if (Positional.Count > maxPositional)
        {
            throw new TemplateException($"{function}() takes at most {maxPositional} positional argument{(maxPositional == 1 ? "" : "s")} ({Positional.Count} given)");
        }

        foreach (var (key, _) in Named)
        {
            if (!names.Contains(key))
            {
                throw new TemplateException($"{function}() got an unexpected keyword argument '{key}'");
            }
        }

        return this;
    }
}
