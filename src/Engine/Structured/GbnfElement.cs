namespace MambaServe.Engine.Structured;

/// <summary>One element of a GBNF sequence as parsed: a character class (a literal's character is a class of one) or a rule reference.</summary>
internal readonly record struct GbnfElement(int Rule, IReadOnlyList<(int Lo, int Hi)>? Ranges, bool Negated)
{
    public bool IsRef => Ranges is null;

    public static GbnfElement Ref(int rule) => new(rule, null, false);

    public static GbnfElement Class(IReadOnlyList<(int Lo, int Hi)> ranges, bool negated) => new(-1, ranges, negated);
}
