namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>
/// Python semantics of the operators on template values. Values are: null (None), <see cref="Undefined"/>, bool,
/// long (int; bool counts as 0/1 in arithmetic as in Python), double, string, List (list), object?[] (tuple),
/// <see cref="JinjaDict"/>, <see cref="JinjaNamespace"/>, <see cref="LoopContext"/>, <see cref="IJinjaCallable"/>.
/// Integer arithmetic is checked: an overflow is a template error, not a wrapped number.
/// </summary>
internal static class PyOps
{
    public static bool Truthy(object? value) => value switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        IReadOnlyList<object?> list => list.Count > 0,
        JinjaDict dict => dict.Count > 0,
        _ => true,
    };

    public static bool IsInt(object? value) => value is long or bool;

    public static bool IsNumber(object? value) => value is long or bool or double;

    public static long ToLong(object? value) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new TemplateException($"an integer is required, not '{PyText.TypeName(value)}'"),
    };

    public static double ToDouble(object? value) => value is double d ? d : ToLong(value);

    public static object? Add(object? a, object? b)
    {
        CheckDefined(a, b);
        return (a, b) switch
        {
            _ when IsInt(a) && IsInt(b) => checked(ToLong(a) + ToLong(b)),
            _ when IsNumber(a) && IsNumber(b) => ToDouble(a) + ToDouble(b),
            (string x, string y) => Limits.CheckString(string.Concat(x, y)),
            (object?[] x, object?[] y) => Concat(x, y).ToArray(),
            (IReadOnlyList<object?> x, IReadOnlyList<object?> y) when x is not object?[] && y is not object?[] => Concat(x, y),
            _ => throw Unsupported("+", a, b),
        };
    }

    public static object? Subtract(object? a, object? b)
    {
        CheckDefined(a, b);
        // (object) casts: a conditional of long and double would otherwise convert the int result to double.
        return IsInt(a) && IsInt(b) ? (object)checked(ToLong(a) - ToLong(b))
            : IsNumber(a) && IsNumber(b) ? ToDouble(a) - ToDouble(b)
            : throw Unsupported("-", a, b);
    }

    public static object? Multiply(object? a, object? b)
    {
        CheckDefined(a, b);
        return (a, b) switch
        {
            _ when IsInt(a) && IsInt(b) => checked(ToLong(a) * ToLong(b)),
            _ when IsNumber(a) && IsNumber(b) => ToDouble(a) * ToDouble(b),
            (string s, _) when IsInt(b) => Repeat(s, ToLong(b)),
            (_, string s) when IsInt(a) => Repeat(s, ToLong(a)),
            (IReadOnlyList<object?> list, _) when IsInt(b) => Repeat(list, ToLong(b)),
            (_, IReadOnlyList<object?> list) when IsInt(a) => Repeat(list, ToLong(a)),
            _ => throw Unsupported("*", a, b),
        };
    }

    public static object? Divide(object? a, object? b)
    {
        CheckDefined(a, b);
        if (!IsNumber(a) || !IsNumber(b))
        {
            throw Unsupported("/", a, b);
        }

        double divisor = ToDouble(b);
        return divisor == 0 ? throw new TemplateException("division by zero") : ToDouble(a) / divisor;
    }

    public static object? FloorDivide(object? a, object? b)
    {
        CheckDefined(a, b);
        if (IsInt(a) && IsInt(b))
        {
            long x = ToLong(a), y = ToLong(b);
            return y == 0 ? throw new TemplateException("integer division or modulo by zero") : checked(x / y) - ((x % y != 0 && (x < 0) != (y < 0)) ? 1 : 0);
        }

        return IsNumber(a) && IsNumber(b)
            ? ToDouble(b) == 0 ? throw new TemplateException("float floor division by zero") : Math.Floor(ToDouble(a) / ToDouble(b))
            : throw Unsupported("//", a, b);
    }

    public static object? Modulo(object? a, object? b)
    {
        CheckDefined(a, b);
        if (a is string format)
        {
            return PyFormat.Percent(format, b);
        }

        if (IsInt(a) && IsInt(b))
        {
            long x = ToLong(a), y = ToLong(b);
            if (y == 0)
            {
                throw new TemplateException("integer division or modulo by zero");
            }

            long r = x % y;
            return r != 0 && (r < 0) != (y < 0) ? r + y : r;
        }

        if (IsNumber(a) && IsNumber(b))
        {
            double x = ToDouble(a), y = ToDouble(b);
            double r = y == 0 ? throw new TemplateException("float modulo by zero") : x % y;
            return r != 0 && (r < 0) != (y < 0) ? r + y : r;
        }

        throw Unsupported("%", a, b);
    }

    public static object? Power(object? a, object? b)
    {
        CheckDefined(a, b);
        if (IsInt(a) && IsInt(b) && ToLong(b) >= 0)
        {
            long x = ToLong(a), n = ToLong(b);
            if (x is >= -1 and <= 1)
            {
                // Only these bases survive large exponents; any other overflows within 64 steps below.
                return n == 0 ? 1L : x == -1 && n % 2 == 1 ? -1L : x;
            }

            long result = 1;
            for (; n > 0; n--)
            {
                result = checked(result * x);
            }

            return result;
        }

        return IsNumber(a) && IsNumber(b) ? Math.Pow(ToDouble(a), ToDouble(b)) : throw Unsupported("**", a, b);
    }

    public static object? Negate(object? a)
    {
        CheckDefined(a, a);
        return IsInt(a) ? (object)checked(-ToLong(a)) : a is double d ? -d : throw new TemplateException($"bad operand type for unary -: '{PyText.TypeName(a)}'");
    }

    public static object? Positive(object? a)
    {
        CheckDefined(a, a);
        return IsInt(a) ? ToLong(a) : a is double ? a : throw new TemplateException($"bad operand type for unary +: '{PyText.TypeName(a)}'");
    }

    /// <summary>Python's <c>==</c>: numbers by value across int, float and bool; containers element-wise.</summary>
    public static bool Equal(object? a, object? b) => (a, b) switch
    {
        (null, null) or (Undefined, Undefined) => true,
        (null, _) or (_, null) or (Undefined, _) or (_, Undefined) => false,
        _ when IsInt(a) && IsInt(b) => ToLong(a) == ToLong(b),
        _ when IsNumber(a) && IsNumber(b) => ToDouble(a) == ToDouble(b),
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        (IReadOnlyList<object?> x, IReadOnlyList<object?> y) => (x is object?[]) == (y is object?[]) && x.Count == y.Count && x.Zip(y).All(p => Equal(p.First, p.Second)),
        (JinjaDict x, JinjaDict y) => x.Count == y.Count && x.Items.All(kv => y.TryGetValue(kv.Key, out var v) && Equal(kv.Value, v)),
        _ => ReferenceEquals(a, b),
    };

    /// <summary>Python's ordering (&lt; and friends): numbers, strings (by code unit), lists element-wise; else a TypeError.</summary>
    public static int Order(object? a, object? b, string op = "<")
    {
        CheckDefined(a, b);
        switch (a, b)
        {
            case var _ when IsInt(a) && IsInt(b):
                return ToLong(a).CompareTo(ToLong(b));
            case var _ when IsNumber(a) && IsNumber(b):
                return ToDouble(a).CompareTo(ToDouble(b));
            case (string x, string y):
                return string.CompareOrdinal(x, y);
            case (IReadOnlyList<object?> x, IReadOnlyList<object?> y):
                for (int i = 0; i < Math.Min(x.Count, y.Count); i++)
                {
                    if (!Equal(x[i], y[i]))
                    {
                        return Order(x[i], y[i], op);
                    }
                }

                return x.Count.CompareTo(y.Count);
            default:
                throw new TemplateException($"'{op}' not supported between instances of '{PyText.TypeName(a)}' and '{PyText.TypeName(b)}'");
        }
    }

    public static bool Compare(string op, object? a, object? b) => op switch
    {
        "==" => Equal(a, b),
        "!=" => !Equal(a, b),
        "<" => Order(a, b, op) < 0,
        "<=" => Order(a, b, op) <= 0,
        ">" => Order(a, b, op) > 0,
        ">=" => Order(a, b, op) >= 0,
        "in" => Contains(b, a),
        "not in" => !Contains(b, a),
        _ => throw new TemplateException($"unknown comparison '{op}'"),
    };

    /// <summary>Python's <c>item in container</c>; nothing is in an undefined value.</summary>
    public static bool Contains(object? container, object? item) => container switch
    {
        Undefined => false,
        string s => item is string sub ? s.Contains(sub, StringComparison.Ordinal)
            : item is Undefined u ? throw u.Fail()
            : throw new TemplateException($"'in <string>' requires string as left operand, not {PyText.TypeName(item)}"),
        IReadOnlyList<object?> list => list.Any(x => Equal(x, item)),
        JinjaDict dict => dict.ContainsKey(item),
        _ => throw new TemplateException($"argument of type '{PyText.TypeName(container)}' is not iterable"),
    };

    /// <summary>What a for loop walks: a list's items, a dict's keys, a string's characters; undefined is empty.</summary>
    public static IReadOnlyList<object?> Iterate(object? value) => value switch
    {
        Undefined => [],
        string s => PyText.CodePoints(s),
        IReadOnlyList<object?> list => list,
        JinjaDict dict => dict.Keys.ToList<object?>(),
        _ => throw new TemplateException($"'{PyText.TypeName(value)}' object is not iterable"),
    };

    public static long Length(object? value) => value switch
    {
        Undefined => 0,
        string s => PyText.CodePointLength(s),
        IReadOnlyList<object?> list => list.Count,
        JinjaDict dict => dict.Count,
        _ => throw new TemplateException($"object of type '{PyText.TypeName(value)}' has no len()"),
    };

    private static List<object?> Concat(IReadOnlyList<object?> x, IReadOnlyList<object?> y)
    {
        Limits.CheckCount((long)x.Count + y.Count);
        return [.. x, .. y];
    }

    private static string Repeat(string s, long times)
    {
        if (times <= 0 || s.Length == 0)
        {
            return string.Empty;
        }

        if (times > Limits.MaxString / s.Length)
        {
            throw new TemplateException($"a string grew past {Limits.MaxString} characters");
        }

        return new System.Text.StringBuilder(s.Length * (int)times).Insert(0, s, (int)times).ToString();
    }

    private static object? Repeat(IReadOnlyList<object?> list, long times)
    {
        var result = new List<object?>();
        if (times > 0 && list.Count > 0)
        {
            Limits.CheckCount(times > Limits.MaxSequence / list.Count ? long.MaxValue : list.Count * times);
            for (long i = 0; i < times; i++)
            {
                result.AddRange(list);
            }
        }

        return list is object?[] ? result.ToArray() : result;
    }

    private static void CheckDefined(object? a, object? b)
    {
        if (a is Undefined ua)
        {
            throw ua.Fail();
        }

        if (b is Undefined ub)
        {
            throw ub.Fail();
        }
    }

    private static TemplateException Unsupported(string op, object? a, object? b) =>
        a is string && b is not string && op == "+"
            ? new($"can only concatenate str (not \"{PyText.TypeName(b)}\") to str")
            : new($"unsupported operand type(s) for {op}: '{PyText.TypeName(a)}' and '{PyText.TypeName(b)}'");
}
