namespace MambaServe.Engine.Structured;

/// <summary>
/// vLLM's output for <c>tool_choice: "required"</c> with several tools: a JSON array of one or more calls,
/// <c>[{"name": "f", "parameters": {...}}, ...]</c>, each call's parameters following its own tool's schema. Built from
/// the grammars already here rather than as one schema (an <c>anyOf</c> of objects that only their name tells apart,
/// which the JSON automaton does not take): a choice among the calls' fixed heads (<c>{"name": "f", "parameters": </c>,
/// the first with the array's <c>[</c>), whose matched tag names the tool; that tool's JSON automaton for the
/// parameters; then a choice between <c>}, </c> (another call) and <c>}]</c> (the end). The heads differ in the name's
/// closing quote, so no head is a prefix of another and each phase ends unambiguously.
/// </summary>
public readonly record struct ToolCallsGrammarState : IGrammarState<ToolCallsGrammarState>
{
    private readonly ToolCallsGrammar _grammar;
    private readonly Phase _phase;
    private readonly ChoiceGrammarState _fixed;   // Head, Tail: the fixed text being read
    private readonly JsonSchemaState _parameters; // Parameters: the chosen tool's arguments

    private ToolCallsGrammarState(ToolCallsGrammar grammar, Phase phase, ChoiceGrammarState fixedText, JsonSchemaState parameters)
    {
        _grammar = grammar;
        _phase = phase;
        _fixed = fixedText;
        _parameters = parameters;
    }

    private enum Phase : byte
    {
        Head,
        Parameters,
        Tail,
        Done,
    }

    public static ToolCallsGrammarState Start(ToolCallsGrammar grammar) =>
        new(grammar, Phase.Head, ChoiceGrammarState.Start(grammar.FirstHeads), default);

    public bool IsComplete => _phase == Phase.Done;

    public bool Feed(ReadOnlySpan<byte> bytes, out ToolCallsGrammarState next) => GrammarStates.FeedEach(this, bytes, out next);

    public bool Feed(byte b, out ToolCallsGrammarState next)
    {
        next = this;
        switch (_phase)
        {
            case Phase.Head:
                if (!_fixed.Feed(b, out var head))
                {
                    return false;
                }

                next = head.IsComplete
                    ? new ToolCallsGrammarState(_grammar, Phase.Parameters, default, JsonSchemaState.Start(_grammar.Parameters[head.MatchedTag]))
                    : new ToolCallsGrammarState(_grammar, Phase.Head, head, default);
                return true;
            case Phase.Parameters:
                if (_parameters.Feed(b, out var parameters))
                {
                    next = new ToolCallsGrammarState(_grammar, Phase.Parameters, default, parameters);
                    return true;
                }

                // The parameters are whole and this byte does not continue them: the call's closing text begins.
                return _parameters.IsComplete && new ToolCallsGrammarState(_grammar, Phase.Tail, ChoiceGrammarState.Start(_grammar.Tails), default).Feed(b, out next);
            case Phase.Tail:
                if (!_fixed.Feed(b, out var tail))
                {
                    return false;
                }

                next = !tail.IsComplete ? new ToolCallsGrammarState(_grammar, Phase.Tail, tail, default)
                    : tail.MatchedTag == ToolCallsGrammar.EndTag ? new ToolCallsGrammarState(_grammar, Phase.Done, default, default)
                    : new ToolCallsGrammarState(_grammar, Phase.Head, ChoiceGrammarState.Start(_grammar.NextHeads), default);
                return true;
            default:
                return false;
        }
    }
}

/// <summary>The tools of a <see cref="ToolCallsGrammarState"/>: their names' heads and their parameters' compiled schemas, by tool index.</summary>
public sealed class ToolCallsGrammar
{
    internal const int EndTag = 0;

    /// <param name="tools">Each tool's name (1-64 letters, digits, <c>_</c> or <c>-</c>: nothing to escape) and compiled parameters schema.</param>
    /// <param name="several">Whether the array may hold more than one call (OpenAI's parallel_tool_calls).</param>
    public ToolCallsGrammar(IReadOnlyList<(string Name, SchemaNode Parameters)> tools, bool several = true)
    {
        ArgumentOutOfRangeException.ThrowIfZero(tools.Count);
        FirstHeads = new ChoiceTable(tools.Select((t, i) => ($"[{{\"name\": \"{t.Name}\", \"parameters\": ", i)));
        NextHeads = new ChoiceTable(tools.Select((t, i) => ($"{{\"name\": \"{t.Name}\", \"parameters\": ", i)));
        Tails = new ChoiceTable(several ? [("}]", EndTag), ("}, ", EndTag + 1)] : [("}]", EndTag)]);
        Parameters = [.. tools.Select(t => t.Parameters)];
    }

    internal ChoiceTable FirstHeads { get; }

    internal ChoiceTable NextHeads { get; }

    internal ChoiceTable Tails { get; }

    internal IReadOnlyList<SchemaNode> Parameters { get; }
}
