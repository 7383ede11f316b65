using System.Text.Json;

namespace MambaServe.Engine.Structured;

/// <summary>
/// A JSON schema as <see cref="SchemaNode"/>s, for the keywords the grammar can enforce byte by byte: type (one or
/// several), properties / required (written in the schema's order, optional ones may be left out), items, enum,
/// const, anyOf / oneOf whose alternatives take different kinds of value, nullable, and $ref into $defs /
/// definitions (recursion included). Annotations (title, description, default, format, examples, ...) and
/// additionalProperties are read past: only declared properties are written, so any output is valid either way.
/// Strings take pattern, minLength / maxLength and the fixed-shape formats (<see cref="StringPatterns"/>). A
/// validation keyword the grammar would not enforce (minimum, minItems, allOf, ...) is refused with
/// <see cref="SchemaNotSupportedException"/>, never silently ignored.
/// </summary>
public static class JsonSchemaCompiler
{
    private static readonly HashSet<string> s_unsupported =
    [
        "multipleOf", "uniqueItems", "contains", "minContains", "maxContains", "prefixItems", "minProperties",
        "maxProperties", "patternProperties", "propertyNames", "dependentRequired", "dependentSchemas", "dependencies",
        "if", "then", "else", "not", "allOf", "unevaluatedProperties", "unevaluatedItems", "additionalItems",
    ];

    private static readonly string[] s_types = ["object", "array", "string", "number", "integer", "boolean", "null"];

    /// <summary>Most schema nodes one schema may compile to (properties, items, alternatives, references).</summary>
    public const int MaxNodes = 10_000;

    /// <summary>Most enum values one schema may list in all.</summary>
    public const int MaxLiterals = 10_000;

    public static SchemaNode Compile(JsonElement schema) => new Compilation(schema).Node(schema, "#");

    private sealed class Compilation(JsonElement root)
    {
        private readonly Dictionary<string, SchemaNode> _refs = [];
        private int _nodes;
        private int _literals;

        public SchemaNode Node(JsonElement schema, string path)
        {
            if (++_nodes > MaxNodes)
            {
                throw new SchemaNotSupportedException(path, $"the schema has more than {MaxNodes} parts");
            }

            if (schema.ValueKind == JsonValueKind.True)
            {
                return SchemaNode.Any;
            }

            if (schema.ValueKind != JsonValueKind.Object)
            {
                throw new SchemaNotSupportedException(path, schema.ValueKind == JsonValueKind.False
                    ? "the schema `false` allows no value"
                    : "a schema must be an object or true");
            }

            foreach (var keyword in schema.EnumerateObject())
            {
                if (s_unsupported.Contains(keyword.Name))
                {
                    throw new SchemaNotSupportedException(path, $"`{keyword.Name}` is not enforced by this server");
                }
            }

            if (schema.TryGetProperty("$ref", out var reference))
            {
                return Reference(reference, path);
            }

            if (schema.TryGetProperty("enum", out var values) || schema.TryGetProperty("const", out values))
            {
                return Literals(schema, values, path);
            }

            var alternatives = schema.TryGetProperty("anyOf", out var any) || schema.TryGetProperty("oneOf", out any)
                ? AnyOf(any, $"{path}/anyOf")
                : null;
            var node = Typed(schema, path);
            return alternatives is null ? node : Merge(alternatives, node, path);
        }

        private SchemaNode Typed(JsonElement schema, string path)
        {
            var types = Types(schema, path);
            var node = new SchemaNode
            {
                AllowsString = types.Contains("string"),
                AllowsNumber = types.Contains("number"),
                AllowsInteger = types.Contains("integer") || types.Contains("number"),
                AllowsBoolean = types.Contains("boolean"),
                AllowsNull = types.Contains("null")
                    || schema.TryGetProperty("nullable", out var nullable) && nullable.ValueKind == JsonValueKind.True,
            };
            if (node.AllowsString)
            {
                node.StringPattern = StringPattern(schema, path);
            }

            Bounds(schema, node, path);

            if (types.Contains("object"))
            {
                node.Object = Object(schema, path);
            }

            if (types.Contains("array"))
            {
                node.ArrayItems = Items(schema, path);
                node.MinItems = Count(schema, "minItems", path) ?? 0;
                node.MaxItems = Count(schema, "maxItems", path);
                if (node.MaxItems < node.MinItems)
                {
                    throw new SchemaNotSupportedException(path, "`maxItems` is below `minItems`: no array fits");
                }
            }

            return node;
        }

        /// <summary>
        /// minimum / maximum / exclusiveMinimum / exclusiveMaximum of whole numbers, as the least and greatest value
        /// allowed. Bounds on numbers with fractions are not enforced (a 400): their digits are not counted.
        /// </summary>
        private static void Bounds(JsonElement schema, SchemaNode node, string path)
        {
            string[] keywords = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"];
            if (!keywords.Any(k => schema.TryGetProperty(k, out _)))
            {
                return;
            }

            if (!node.AllowsInteger || node.AllowsNumber)
            {
                throw new SchemaNotSupportedException(path, "`minimum` / `maximum` are enforced on whole numbers (`integer`) only by this server");
            }

            decimal Bound(string keyword) => schema.GetProperty(keyword) is { ValueKind: JsonValueKind.Number } v && v.TryGetDecimal(out decimal d)
                ? d
                : throw new SchemaNotSupportedException(path, $"`{keyword}` must be a number");
            static long Clamp(decimal d) => d <= long.MinValue ? long.MinValue : d >= long.MaxValue ? long.MaxValue : (long)d;
            decimal lo = decimal.MinValue, hi = decimal.MaxValue;
            if (schema.TryGetProperty("minimum", out _))
            {
                lo = Math.Max(lo, Math.Ceiling(Bound("minimum")));
            }

            if (schema.TryGetProperty("exclusiveMinimum", out _))
            {
                lo = Math.Max(lo, Math.Floor(Bound("exclusiveMinimum")) + 1);
            }

            if (schema.TryGetProperty("maximum", out _))
            {
                hi = Math.Min(hi, Math.Floor(Bound("maximum")));
            }

            if (schema.TryGetProperty("exclusiveMaximum", out _))
            {
                hi = Math.Min(hi, Math.Ceiling(Bound("exclusiveMaximum")) - 1);
            }

            if (lo > hi)
            {
                throw new SchemaNotSupportedException(path, "the bounds leave no whole number");
            }

            (node.IntegerMin, node.IntegerMax) = (Clamp(lo), Clamp(hi));
        }

        /// <summary>A count keyword (minItems, maxLength, ...): a whole number from 0, or null when absent.</summary>
        private static int? Count(JsonElement schema, string keyword, string path) => schema.TryGetProperty(keyword, out var v)
            ? v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) && n >= 0 ? n : throw new SchemaNotSupportedException(path, $"`{keyword}` must be a whole number >= 0")
            : null;

        private static RegexProgram? StringPattern(JsonElement schema, string path)
        {
            string? Text(string keyword) => schema.TryGetProperty(keyword, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var expression = StringPatterns.For(Text("pattern"), Count(schema, "minLength", path), Count(schema, "maxLength", path), Text("format"), path);
            try
            {
                return expression is null ? null : RegexParser.Parse(expression);
            }
            catch (RegexNotSupportedException ex)
            {
                throw new SchemaNotSupportedException(path, $"its string rule: {ex.Message}");
            }
        }

        private static HashSet<string> Types(JsonElement schema, string path)
        {
            if (!schema.TryGetProperty("type", out var type))
            {
                // No type: what the other keywords describe; anyOf alone: its alternatives; annotations only: any value.
                var implied = new HashSet<string>();
                if (schema.TryGetProperty("properties", out _) || schema.TryGetProperty("required", out _))
                {
                    implied.Add("object");
                }

                if (schema.TryGetProperty("items", out _))
                {
                    implied.Add("array");
                }

                bool anyOf = schema.TryGetProperty("anyOf", out _) || schema.TryGetProperty("oneOf", out _);
                return implied.Count > 0 || anyOf ? implied : [.. s_types];
            }

            var names = type.ValueKind switch
            {
                JsonValueKind.String => [type.GetString()!],
                JsonValueKind.Array when type.EnumerateArray().All(t => t.ValueKind == JsonValueKind.String) => type.EnumerateArray().Select(t => t.GetString()!).ToList(),
                _ => throw new SchemaNotSupportedException(path, "`type` must be a string or an array of strings"),
            };
            foreach (var name in names.Where(n => !s_types.Contains(n)))
            {
                throw new SchemaNotSupportedException(path, $"unknown type `{name}`");
            }

            return [.. names];
        }

        private ObjectShape Object(JsonElement schema, string path)
        {
            if (!schema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object
                || !properties.EnumerateObject().Any())
            {
                if (schema.TryGetProperty("required", out var req) && req.ValueKind == JsonValueKind.Array && req.GetArrayLength() > 0)
                {
                    throw new SchemaNotSupportedException(path, "`required` names properties the schema does not declare");
                }

                // No properties: additionalProperties says what the object holds (false: nothing; a schema: its values).
                return schema.TryGetProperty("additionalProperties", out var extra) ? extra.ValueKind switch
                {
                    JsonValueKind.False => ObjectShape.Declared([]),
                    JsonValueKind.Object => ObjectShape.Map(Node(extra, $"{path}/additionalProperties")),
                    _ => ObjectShape.Free,
                } : ObjectShape.Free;
            }

            var required = schema.TryGetProperty("required", out var r) && r.ValueKind == JsonValueKind.Array
                ? r.EnumerateArray().Where(n => n.ValueKind == JsonValueKind.String).Select(n => n.GetString()!).ToHashSet()
                : [];
            var list = new List<SchemaProperty>();
            foreach (var property in properties.EnumerateObject())
            {
                var node = Node(property.Value, $"{path}/properties/{property.Name}");
                list.Add(new SchemaProperty(property.Name, JsonSerializer.Serialize(property.Name), node, required.Remove(property.Name)));
            }

            if (required.Count > 0)
            {
                throw new SchemaNotSupportedException(path, $"`required` names `{required.First()}`, which `properties` does not declare");
            }

            return ObjectShape.Declared(list);
        }

        private SchemaNode Items(JsonElement schema, string path)
        {
            if (!schema.TryGetProperty("items", out var items))
            {
                return SchemaNode.Any;
            }

            return items.ValueKind == JsonValueKind.Array
                ? throw new SchemaNotSupportedException(path, "`items` as a list (tuples) is not enforced by this server")
                : Node(items, $"{path}/items");
        }

        private SchemaNode Literals(JsonElement schema, JsonElement values, string path)
        {
            var list = schema.TryGetProperty("enum", out _)
                ? values.ValueKind == JsonValueKind.Array && values.GetArrayLength() > 0
                    ? values.EnumerateArray().ToList()
                    : throw new SchemaNotSupportedException(path, "`enum` must be a non-empty array")
                : [values];
            if (schema.TryGetProperty("nullable", out var nullable) && nullable.ValueKind == JsonValueKind.True)
            {
                list.Add(JsonDocument.Parse("null").RootElement);
            }

            if ((_literals += list.Count) > MaxLiterals)
            {
                throw new SchemaNotSupportedException(path, $"the schema lists more than {MaxLiterals} enum values");
            }

            // Written compactly, exactly as listed: the grammar takes these texts and nothing else.
            return new SchemaNode { Literals = new ChoiceTable(list.Select(v => JsonSerializer.Serialize(v))) };
        }

        private List<SchemaNode> AnyOf(JsonElement list, string path)
        {
            if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            {
                throw new SchemaNotSupportedException(path, "`anyOf` / `oneOf` must be a non-empty array");
            }

            return [.. list.EnumerateArray().Select((s, i) => Node(s, $"{path}/{i}"))];
        }

        /// <summary>
        /// The alternatives as one node. A value's first byte must tell which alternative it follows: each kind of
        /// value may come from one alternative only, and the enum / const values of all alternatives (joined in one
        /// list) may not begin as a value of another alternative does (<c>Optional[Literal["a", "b"]]</c>: the values
        /// begin with a quote, null with an n).
        /// </summary>
        private static SchemaNode Merge(List<SchemaNode> alternatives, SchemaNode sibling, string path)
        {
            if (sibling.AllowsString || sibling.AllowsInteger || sibling.AllowsBoolean || sibling.AllowsNull || sibling.Object is not null || sibling.ArrayItems is not null)
            {
                alternatives = [.. alternatives, sibling];
            }

            if (alternatives.Count == 1)
            {
                return alternatives[0];
            }

            var merged = new SchemaNode();
            var literals = alternatives.Where(a => a.Literals is not null).ToList();
            foreach (var a in alternatives.Where(a => a.Literals is null))
            {
                if ((a.AllowsString && merged.AllowsString) || (a.AllowsInteger && merged.AllowsInteger) || (a.AllowsBoolean && merged.AllowsBoolean)
                    || (a.AllowsNull && merged.AllowsNull) || (a.Object is not null && merged.Object is not null) || (a.ArrayItems is not null && merged.ArrayItems is not null))
                {
                    throw new SchemaNotSupportedException(path, "`anyOf` / `oneOf` alternatives must take different kinds of value (one object, one string, ...)");
                }

                merged.AllowsString |= a.AllowsString;
                merged.StringPattern ??= a.StringPattern;
                merged.AllowsNumber |= a.AllowsNumber;
                merged.AllowsInteger |= a.AllowsInteger;
                if (a.AllowsInteger)
                {
                    (merged.IntegerMin, merged.IntegerMax) = (a.IntegerMin, a.IntegerMax);
                }

                merged.AllowsBoolean |= a.AllowsBoolean;
                merged.AllowsNull |= a.AllowsNull;
                merged.Object ??= a.Object;
                if (a.ArrayItems is not null)
                {
                    (merged.ArrayItems, merged.MinItems, merged.MaxItems) = (a.ArrayItems, a.MinItems, a.MaxItems);
                }
            }

            if (literals.Count > 0)
            {
                var texts = literals.SelectMany(a => Enumerable.Range(0, a.Literals!.Count).Select(i => System.Text.Encoding.UTF8.GetString(a.Literals![i]))).ToList();
                if (texts.FirstOrDefault(t => Opens(merged, (byte)t[0])) is { } clash)
                {
                    throw new SchemaNotSupportedException(path, $"`anyOf` / `oneOf`: the value {clash} begins as another alternative's values do");
                }

                merged.Literals = new ChoiceTable(texts);
            }

            return merged;
        }

        /// <summary>Whether a value of <paramref name="node"/>'s kinds can begin with <paramref name="b"/>.</summary>
        private static bool Opens(SchemaNode node, byte b) => b switch
        {
            (byte)'"' => node.AllowsString,
            (byte)'-' or (>= (byte)'0' and <= (byte)'9') => node.AllowsInteger,
            (byte)'t' or (byte)'f' => node.AllowsBoolean,
            (byte)'n' => node.AllowsNull,
            (byte)'{' => node.Object is not null,
            (byte)'[' => node.ArrayItems is not null,
            _ => false,
        };

        private SchemaNode Reference(JsonElement reference, string path)
        {
            var target = reference.ValueKind == JsonValueKind.String ? reference.GetString()! : "";
            if (_refs.TryGetValue(target, out var known))
            {
                return known;
            }

            var schema = Resolve(target) ?? throw new SchemaNotSupportedException(path, $"`$ref` `{target}` is not `#`, `#/$defs/...` or `#/definitions/...` of this schema");
            // Registered before its body is compiled, so a recursive reference finds it. Its fields are filled in below.
            var node = new SchemaNode();
            _refs[target] = node;
            var body = Node(schema, target);
            node.AllowsString = body.AllowsString;
            node.StringPattern = body.StringPattern;
            node.AllowsNumber = body.AllowsNumber;
            node.AllowsInteger = body.AllowsInteger;
            (node.IntegerMin, node.IntegerMax) = (body.IntegerMin, body.IntegerMax);
            node.AllowsBoolean = body.AllowsBoolean;
            node.AllowsNull = body.AllowsNull;
            node.Object = body.Object;
            node.ArrayItems = body.ArrayItems;
            node.MinItems = body.MinItems;
            node.MaxItems = body.MaxItems;
            node.Literals = body.Literals;
            return node;
        }

        private JsonElement? Resolve(string target)
        {
            if (target == "#")
            {
                return root;
            }

            foreach (var prefix in new[] { "#/$defs/", "#/definitions/" })
            {
                if (target.StartsWith(prefix, StringComparison.Ordinal) && root.TryGetProperty(prefix[2..^1], out var defs)
                    && defs.ValueKind == JsonValueKind.Object && defs.TryGetProperty(target[prefix.Length..], out var schema))
                {
                    return schema;
                }
            }

            return null;
        }
    }
}

/// <summary>A schema, or a part of one, the grammar cannot enforce; <see cref="Exception.Message"/> says where and why.</summary>
public sealed class SchemaNotSupportedException(string path, string reason) : Exception($"{path}: {reason}")
{
    public string Path { get; } = path;
}
