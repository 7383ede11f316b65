using System.Collections.Concurrent;
using System.Text.Json;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Engine.Structured;

/// <summary>
/// The output formats the engine can enforce, as constraints for <see cref="GenerationRequest.Constraint"/>. Schemas,
/// patterns, choice lists, structural tags and tool-call arrays are compiled once and kept by their text (up to <see cref="MaxCompiled"/> of each), so
/// that requests with the same format share its grammar states, and with them the token masks
/// (<see cref="StructuredVocabulary"/>) and a pattern's DFA: a client that sends one schema with every request pays for
/// its masks once.
/// </summary>
public static class StructuredOutputs
{
    /// <summary>Compiled formats kept of each kind; past it the kept ones are dropped and compiled again when asked.</summary>
    public const int MaxCompiled = 256;

    private static readonly Compiled<SchemaNode> s_schemas = new();
    private static readonly Compiled<RegexProgram> s_patterns = new();
    private static readonly Compiled<ChoiceTable> s_choices = new();
    private static readonly Compiled<GbnfGrammar> s_grammars = new();
    private static readonly Compiled<StructuralTagGrammar> s_structuralTags = new();
    private static readonly Compiled<ToolCallsGrammar> s_toolCalls = new();

    /// <summary>One JSON object (OpenAI's JSON mode, vLLM's json_object), then EOS.</summary>
    public static ITokenConstraintFactory JsonObject(MambaTokenizer tokenizer) =>
        new GrammarConstraintFactory<JsonSchemaState>(StructuredVocabulary.For(tokenizer), JsonSchemaState.StartObject());

    /// <summary>One JSON value that <paramref name="schema"/> (from <see cref="CompileSchema"/>) describes, then EOS.</summary>
    public static ITokenConstraintFactory JsonSchema(MambaTokenizer tokenizer, SchemaNode schema) =>
        new GrammarConstraintFactory<JsonSchemaState>(StructuredVocabulary.For(tokenizer), JsonSchemaState.Start(schema));

    /// <summary>Text the whole of which <paramref name="pattern"/> (from <see cref="CompileRegex"/>) matches, then EOS.</summary>
    public static ITokenConstraintFactory Regex(MambaTokenizer tokenizer, RegexProgram pattern) =>
        new GrammarConstraintFactory<RegexGrammarState>(StructuredVocabulary.For(tokenizer), RegexGrammarState.Start(pattern));

    /// <summary>A JSON array of one or more calls of <paramref name="tools"/> (vLLM's output for tool_choice "required"), then EOS.</summary>
    public static ITokenConstraintFactory ToolCalls(MambaTokenizer tokenizer, ToolCallsGrammar tools) =>
        new GrammarConstraintFactory<ToolCallsGrammarState>(StructuredVocabulary.For(tokenizer), ToolCallsGrammarState.Start(tools));

    /// <summary>Free text in which each trigger starts a structure of <paramref name="grammar"/> (vLLM's structural tag); EOS in the free text.</summary>
    public static ITokenConstraintFactory StructuralTag(MambaTokenizer tokenizer, StructuralTagGrammar grammar) =>
        new GrammarConstraintFactory<StructuralTagGrammarState>(StructuredVocabulary.For(tokenizer), StructuralTagGrammarState.Start(grammar));

    /// <summary>Exactly one of <paramref name="choices"/> (vLLM's choice), then EOS.</summary>
    public static ITokenConstraintFactory Choice(MambaTokenizer tokenizer, IReadOnlyList<string> choices) =>
        new GrammarConstraintFactory<ChoiceGrammarState>(
            StructuredVocabulary.For(tokenizer), ChoiceGrammarState.Start(s_choices.Get(string.Join('\0', choices), _ => new ChoiceTable(choices))));

    /// <summary>Text that <paramref name="grammar"/>'s root rule (from <see cref="CompileGrammar"/>) matches whole, then EOS.</summary>
    public static ITokenConstraintFactory Grammar(MambaTokenizer tokenizer, GbnfGrammar grammar) =>
        new GrammarConstraintFactory<GbnfGrammarState>(StructuredVocabulary.For(tokenizer), GbnfGrammarState.Start(grammar));

    /// <summary>The compiled GBNF grammar (kept by its text).</summary>
    /// <exception cref="GrammarNotSupportedException">A syntax error, an undefined or left-recursive rule, no root.</exception>
    public static GbnfGrammar CompileGrammar(string grammar) => s_grammars.Get(grammar, GbnfParser.Parse);

    /// <summary>
    /// A structural tag's grammar, kept by <paramref name="text"/> (the tag as the request gave it): its states, and
    /// with them the masks of its free text (which visit most of the vocabulary), are shared by every request that
    /// sends the same tag.
    /// </summary>
    /// <exception cref="GrammarNotSupportedException">From <paramref name="compile"/>: nothing is kept.</exception>
    public static StructuralTagGrammar CompileStructuralTag(string text, Func<StructuralTagGrammar> compile) => s_structuralTags.Get(text, _ => compile());

    /// <summary>A calls array's grammar (tool_choice "required"), kept by <paramref name="text"/> (the tools as the request gave them).</summary>
    public static ToolCallsGrammar CompileToolCalls(string text, Func<ToolCallsGrammar> compile) => s_toolCalls.Get(text, _ => compile());

    /// <summary>The compiled schema (kept by its compact JSON text).</summary>
    /// <exception cref="SchemaNotSupportedException">The schema uses a keyword the grammar cannot enforce.</exception>
    public static SchemaNode CompileSchema(JsonElement schema) => s_schemas.Get(JsonSerializer.Serialize(schema), _ => JsonSchemaCompiler.Compile(schema));

    /// <summary>The compiled pattern (kept by its text).</summary>
    /// <exception cref="RegexNotSupportedException">The pattern uses a construct the grammar does not take.</exception>
    public static RegexProgram CompileRegex(string pattern) => s_patterns.Get(pattern, RegexParser.Parse);

    private sealed class Compiled<T>
    {
        private readonly ConcurrentDictionary<string, T> _byText = new(StringComparer.Ordinal);

        public T Get(string text, Func<string, T> compile)
        {
            if (_byText.TryGetValue(text, out var known))
            {
                return known;
            }

            var compiled = compile(text); // throws for a format that cannot be enforced: nothing is kept
            if (_byText.Count >= MaxCompiled)
            {
                _byText.Clear();
            }

            return _byText.GetOrAdd(text, compiled);
        }
    }
}
