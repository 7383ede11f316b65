namespace MambaServe.Engine.Structured;

/// <summary>
/// Where an output stands against a <see cref="StructuralTagGrammar"/>: in free text (at a prefix of the trigger
/// automaton), in the rest of a structure's begin, in its JSON value, or in its end. The output may stop in free text
/// only (an end that is empty lets it stop once the value is whole).
/// </summary>
public readonly record struct StructuralTagGrammarState : IGrammarState<StructuralTagGrammarState>
{
    private readonly StructuralTagGrammar _grammar;
    private readonly Phase _phase;
    private readonly int _at;                     // Free: the automaton's prefix; Begin: the trigger; Value, End: the structure
    private readonly ChoiceGrammarState _fixed;   // Begin, End: the fixed text being read
    private readonly JsonSchemaState _value;      // Value: the structure's JSON value

    private StructuralTagGrammarState(StructuralTagGrammar grammar, Phase phase, int at, ChoiceGrammarState fixedText, JsonSchemaState value)
    {
        _grammar = grammar;
        _phase = phase;
        _at = at;
        _fixed = fixedText;
        _value = value;
    }

    private enum Phase : byte
    {
        Free,
        Begin,
        Value,
        End,
    }

    public static StructuralTagGrammarState Start(StructuralTagGrammar grammar) => new(grammar, Phase.Free, 0, default, default);

    public bool IsComplete => _phase == Phase.Free || _phase == Phase.Value && _value.IsComplete && _grammar.Ends[_at][0].Length == 0;

    public bool Feed(ReadOnlySpan<byte> bytes, out StructuralTagGrammarState next) => GrammarStates.FeedEach(this, bytes, out next);

    public bool Feed(byte b, out StructuralTagGrammarState next)
    {
        next = this;
        switch (_phase)
        {
            case Phase.Free:
                int to = _grammar.Next(_at, b);
                next = to >= 0 ? new StructuralTagGrammarState(_grammar, Phase.Free, to, default, default) : Begun(~to);
                return true;
            case Phase.Begin:
                if (!_fixed.Feed(b, out var begin))
                {
                    return false;
                }

                next = begin.IsComplete ? Valued(begin.MatchedTag) : new StructuralTagGrammarState(_grammar, Phase.Begin, _at, begin, default);
                return true;
            case Phase.Value:
                if (_value.Feed(b, out var value))
                {
                    next = new StructuralTagGrammarState(_grammar, Phase.Value, _at, default, value);
                    return true;
                }

                // The value is whole and this byte does not continue it: the end begins (or, with none, the free text).
                return _value.IsComplete && Ending(_at).Feed(b, out next);
            case Phase.End:
                if (!_fixed.Feed(b, out var end))
                {
                    return false;
                }

                next = end.IsComplete ? Start(_grammar) : new StructuralTagGrammarState(_grammar, Phase.End, _at, end, default);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Trigger <paramref name="trigger"/> was written: the rest of one of its begins follows (none left: the value).</summary>
    private StructuralTagGrammarState Begun(int trigger)
    {
        var begin = ChoiceGrammarState.Start(_grammar.Begins[trigger]);
        return begin.IsComplete ? Valued(begin.MatchedTag) : new StructuralTagGrammarState(_grammar, Phase.Begin, trigger, begin, default);
    }

    private StructuralTagGrammarState Valued(int structure) =>
        new(_grammar, Phase.Value, structure, default, JsonSchemaState.Start(_grammar.Schemas[structure]));

    private StructuralTagGrammarState Ending(int structure)
    {
        var end = ChoiceGrammarState.Start(_grammar.Ends[structure]);
        return end.IsComplete ? Start(_grammar) : new StructuralTagGrammarState(_grammar, Phase.End, structure, end, default);
    }
}
