using MambaServe.Engine.Generation;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Engine.Structured;

/// <summary>The output formats the engine can enforce, as constraints for <see cref="GenerationRequest.Constraint"/>.</summary>
public static class StructuredOutputs
{
    /// <summary>One JSON object (OpenAI's JSON mode, vLLM's json_object), then EOS.</summary>
    public static ITokenConstraintFactory JsonObject(MambaTokenizer tokenizer) =>
        new GrammarConstraintFactory<JsonSchemaState>(StructuredVocabulary.For(tokenizer), JsonSchemaState.StartObject());

    /// <summary>One JSON value that <paramref name="schema"/> (from <see cref="JsonSchemaCompiler.Compile"/>) describes, then EOS.</summary>
    public static ITokenConstraintFactory JsonSchema(MambaTokenizer tokenizer, SchemaNode schema) =>
        new GrammarConstraintFactory<JsonSchemaState>(StructuredVocabulary.For(tokenizer), JsonSchemaState.Start(schema));

    /// <summary>Text the whole of which <paramref name="pattern"/> (from <see cref="RegexParser.Parse"/>) matches, then EOS.</summary>
    public static ITokenConstraintFactory Regex(MambaTokenizer tokenizer, RegexProgram pattern) =>
        new GrammarConstraintFactory<RegexGrammarState>(StructuredVocabulary.For(tokenizer), RegexGrammarState.Start(pattern));

    /// <summary>Exactly one of <paramref name="choices"/> (vLLM's choice), then EOS.</summary>
    public static ITokenConstraintFactory Choice(MambaTokenizer tokenizer, IReadOnlyList<string> choices) =>
        new GrammarConstraintFactory<ChoiceGrammarState>(StructuredVocabulary.For(tokenizer), ChoiceGrammarState.Start(new ChoiceTable(choices)));
}
