namespace MambaServe.Engine.Structured;

/// <summary>
/// One place of a compiled JSON schema (<see cref="JsonSchemaCompiler"/>): which kinds of value may stand there and,
/// for objects and arrays, what they hold. Compared by reference: a grammar state names the node it is in.
/// </summary>
public sealed class SchemaNode
{
    internal SchemaNode()
    {
    }

    /// <summary>Any JSON value: the node of <c>{}</c>, of an array without items and of a free object's values.</summary>
    public static SchemaNode Any { get; } = CreateAny();

    public bool AllowsString { get; internal set; }

    /// <summary>What a string's characters must match (pattern, lengths, a fixed-shape format), or null: any string.</summary>
    public RegexProgram? StringPattern { get; internal set; }

    /// <summary>Numbers with a fraction or an exponent too (JSON's "number"); false with <see cref="AllowsInteger"/>: whole numbers only.</summary>
    public bool AllowsNumber { get; internal set; }

    public bool AllowsInteger { get; internal set; }

    /// <summary>The least whole number allowed (minimum / exclusiveMinimum); <see cref="long.MinValue"/>: no bound.</summary>
    public long IntegerMin { get; internal set; } = long.MinValue;

    /// <summary>The greatest whole number allowed (maximum / exclusiveMaximum); <see cref="long.MaxValue"/>: no bound.</summary>
    public long IntegerMax { get; internal set; } = long.MaxValue;

    /// <summary>Whole numbers only, with bounds: the grammar counts their digits (<see cref="JsonSchemaState"/>).</summary>
    public bool IsBoundedInteger => AllowsInteger && !AllowsNumber && (IntegerMin != long.MinValue || IntegerMax != long.MaxValue);

    public bool AllowsBoolean { get; internal set; }

    public bool AllowsNull { get; internal set; }

    /// <summary>The objects allowed here, or null for none.</summary>
    public ObjectShape? Object { get; internal set; }

    /// <summary>The schema of an array's items when arrays are allowed here, else null.</summary>
    public SchemaNode? ArrayItems { get; internal set; }

    /// <summary>minItems of the arrays allowed here.</summary>
    public int MinItems { get; internal set; }

    /// <summary>maxItems of the arrays allowed here, or null for no bound.</summary>
    public int? MaxItems { get; internal set; }

    /// <summary>enum / const: the allowed values as compact JSON texts; when set, nothing else is allowed.</summary>
    public ChoiceTable? Literals { get; internal set; }

    private static SchemaNode CreateAny()
    {
        var any = new SchemaNode { AllowsString = true, AllowsNumber = true, AllowsInteger = true, AllowsBoolean = true, AllowsNull = true };
        any.Object = ObjectShape.Free;
        any.ArrayItems = any;
        return any;
    }
}

/// <summary>
/// The objects a node allows: a free object (any keys, any values) or the declared properties, written in the
/// schema's order, each optional one free to be left out and every required one present. Only declared properties
/// are written, so an output is valid whatever additionalProperties says.
/// </summary>
public sealed class ObjectShape
{
    private readonly ChoiceTable?[] _keysFrom;
    private readonly bool[] _requiredFrom;

    private ObjectShape(IReadOnlyList<SchemaProperty>? properties, SchemaNode? freeValues = null)
    {
        Properties = properties ?? [];
        IsFree = properties is null;
        FreeValues = freeValues;
        _keysFrom = new ChoiceTable?[Properties.Count + 1];
        _requiredFrom = new bool[Properties.Count + 1];
        for (int next = Properties.Count - 1; next >= 0; next--)
        {
            _requiredFrom[next] = Properties[next].Required || _requiredFrom[next + 1];
        }
    }

    /// <summary>Any object: its keys are free strings, its values any JSON.</summary>
    public static ObjectShape Free { get; } = new(null);

    public bool IsFree { get; }

    /// <summary>A free object's values (additionalProperties as a schema: a map's values); null: any JSON.</summary>
    public SchemaNode? FreeValues { get; }

    /// <summary>An object of free keys whose values follow <paramref name="values"/> (a <c>dict[str, X]</c>).</summary>
    internal static ObjectShape Map(SchemaNode values) => new(null, values);

    public IReadOnlyList<SchemaProperty> Properties { get; }

    internal static ObjectShape Declared(IReadOnlyList<SchemaProperty> properties) => new(properties);

    /// <summary>Whether a required property is still to come once the properties before <paramref name="next"/> are passed.</summary>
    internal bool RequiredFrom(int next) => !IsFree && _requiredFrom[next];

    /// <summary>
    /// The keys (as JSON strings, quotes included) that may come when <paramref name="next"/> is the first property not
    /// yet passed: up to the first required one, each tagged with its property's index. Built when first needed (a
    /// long run of optional properties makes these lists long, and most are never reached); a race builds one twice.
    /// </summary>
    internal ChoiceTable KeysFrom(int next)
    {
        if (Volatile.Read(ref _keysFrom[next]) is { } built)
        {
            return built;
        }

        var keys = new List<(string, int)>();
        for (int i = next; i < Properties.Count; i++)
        {
            keys.Add((Properties[i].KeyJson, i));
            if (Properties[i].Required)
            {
                break;
            }
        }

        var table = new ChoiceTable(keys);
        Volatile.Write(ref _keysFrom[next], table);
        return table;
    }
}

/// <param name="KeyJson">The key as it is written: a JSON string, quotes included.</param>
public sealed record SchemaProperty(string Name, string KeyJson, SchemaNode Node, bool Required);
