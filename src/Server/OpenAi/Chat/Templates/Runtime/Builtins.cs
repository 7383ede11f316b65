namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>Jinja's global functions that chat templates call: range, namespace, dict.</summary>
internal static class Builtins
{
    public static void AddTo(Scope globals)
    {
        globals.Set("range", new JinjaFunction("range", Range));
        globals.Set("namespace", new JinjaFunction("namespace", Namespace));
        globals.Set("dict", new JinjaFunction("dict", args => Dict(args)));
    }

    private static object? Range(Arguments args)
    {
        var numbers = args.Check("range", 3).Positional.Select(PyOps.ToLong).ToArray();
        var (start, stop, step) = numbers.Length switch
        {
            1 => (0L, numbers[0], 1L),
            2 => (numbers[0], numbers[1], 1L),
            3 => (numbers[0], numbers[1], numbers[2]),
            _ => throw new TemplateException("range expected 1 to 3 arguments"),
        };
        if (step == 0)
        {
            throw new TemplateException("range() arg 3 must not be zero");
        }

        // Int128: stop - start can overflow a long (range(-2**62, 2**62)).
        Int128 span = step > 0 ? (Int128)stop - start : (Int128)start - stop, by = Int128.Abs(step);
        Int128 count = span <= 0 ? 0 : (span + by - 1) / by;
        if (count > Limits.MaxRange)
        {
            throw new TemplateException($"range too big: {count} items (at most {Limits.MaxRange})");
        }

        var items = new List<object?>((int)count);
        for (long i = 0; i < (long)count; i++)
        {
            items.Add(start + (i * step));
        }

        return items;
    }

    private static object? Namespace(Arguments args)
    {
        var ns = new JinjaNamespace();
        if (OnePositional(args, "namespace"))
        {
            var initial = args.Positional[0] as JinjaDict ?? throw new TemplateException("namespace() takes a mapping or keyword arguments");
            foreach (var (key, value) in initial.Items)
            {
                ns.Set(PyText.Str(key), value);
            }
        }

        foreach (var (key, value) in args.Named)
        {
            ns.Set(key, value);
        }

        return ns;
    }

    /// <summary>namespace() and dict() take at most one mapping, then any keyword arguments.</summary>
    private static bool OnePositional(Arguments args, string function) =>
        args.Positional.Count <= 1 ? args.Positional.Count == 1 : throw new TemplateException($"{function}() takes at most one positional argument");

    private static JinjaDict Dict(Arguments args)
    {
        var dict = new JinjaDict();
        if (OnePositional(args, "dict") && args.Positional[0] is JinjaDict initial)
        {
            foreach (var (key, value) in initial.Items)
            {
                dict.Set(key, value);
            }
        }

        foreach (var (key, value) in args.Named)
        {
            dict.Set(key, value);
        }

        return dict;
    }
}
