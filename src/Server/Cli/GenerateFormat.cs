using System.CommandLine;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Structured;
using MambaServe.Engine.Tokenization;
using Grammars = MambaServe.Engine.Structured.StructuredOutputs;

namespace MambaServe.Server.Cli;

/// <summary>
/// `generate`'s output formats, with llama.cpp's names where it has them: <c>--grammar</c> / <c>--grammar-file</c>
/// (GBNF), <c>--json-schema</c>, and <c>--regex</c>, <c>--json</c> (JSON mode). Each is compiled before the model loads,
/// so a bad one ends the command with one line saying where; they are the server's formats (docs/server.md
/// "Structured outputs").
/// </summary>
public sealed class GenerateFormat
{
    private readonly Option<string?> _grammar = new("--grammar") { Description = "A GBNF grammar whose root rule the output matches whole (llama.cpp's syntax)." };
    private readonly Option<string?> _grammarFile = new("--grammar-file") { Description = "A file holding such a grammar." };
    private readonly Option<string?> _jsonSchema = new("--json-schema") { Description = "A JSON schema the output is one value of." };
    private readonly Option<string?> _regex = new("--regex") { Description = "A regular expression the output matches whole." };
    private readonly Option<bool> _json = new("--json") { Description = "One JSON object (JSON mode)." };

    public IEnumerable<Option> Options => [_grammar, _grammarFile, _jsonSchema, _regex, _json];

    /// <summary>The chosen format, compiled; null for free text.</summary>
    /// <exception cref="ArgumentException">Two formats, an unreadable file, or a format the engine cannot enforce.</exception>
    public Func<MambaTokenizer, ITokenConstraintFactory>? Compile(ParseResult parse)
    {
        var given = new List<(string Name, Func<Func<MambaTokenizer, ITokenConstraintFactory>> Make)>();
        if (parse.GetValue(_grammar) is { } grammar)
        {
            given.Add(("--grammar", () => Grammar(grammar)));
        }

        if (parse.GetValue(_grammarFile) is { } file)
        {
            given.Add(("--grammar-file", () => Grammar(Read(new FileInfo(ShellPaths.Input(file))))));
        }

        if (parse.GetValue(_jsonSchema) is { } schema)
        {
            given.Add(("--json-schema", () => Schema(schema)));
        }

        if (parse.GetValue(_regex) is { } regex)
        {
            given.Add(("--regex", () =>
            {
                var program = Enforced(() => Grammars.CompileRegex(regex), "--regex");
                return t => Grammars.Regex(t, program);
            }));
        }

        if (parse.GetValue(_json))
        {
            given.Add(("--json", () => Grammars.JsonObject));
        }

        return given.Count switch
        {
            0 => null,
            1 => given[0].Make(),
            _ => throw new ArgumentException($"give one output format, not {string.Join(" and ", given.Select(g => g.Name))}"),
        };
    }

    private static Func<MambaTokenizer, ITokenConstraintFactory> Grammar(string text)
    {
        var grammar = Enforced(() => Grammars.CompileGrammar(text), "the grammar");
        return t => Grammars.Grammar(t, grammar);
    }

    private static Func<MambaTokenizer, ITokenConstraintFactory> Schema(string text)
    {
        System.Text.Json.JsonElement schema;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(text);
            schema = doc.RootElement.Clone();
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ArgumentException($"--json-schema is not valid JSON: {e.Message}");
        }

        var root = Enforced(() => Grammars.CompileSchema(schema), "--json-schema");
        return t => Grammars.JsonSchema(t, root);
    }

    private static string Read(FileInfo file)
    {
        try
        {
            return File.ReadAllText(file.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"cannot read --grammar-file {file.FullName}: {e.Message}");
        }
    }

    private static T Enforced<T>(Func<T> compile, string what)
    {
        try
        {
            return compile();
        }
        catch (Exception e) when (e is GrammarNotSupportedException or RegexNotSupportedException or SchemaNotSupportedException)
        {
            throw new ArgumentException($"{what} cannot be enforced: {e.Message}");
        }
    }
}
