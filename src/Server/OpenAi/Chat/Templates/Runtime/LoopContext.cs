namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>The <c>loop</c> variable of a for loop, over the items that passed the loop's filter.</summary>
internal sealed class LoopContext(IReadOnlyList<object?> items)
{
    private object? _changedLast = new();

    public int Index0 { get; set; }

    private int Length => items.Count;

    public object? GetAttribute(string name) => name switch
    {
        "index" => (long)Index0 + 1,
        "index0" => (long)Index0,
        "revindex" => (long)(Length - Index0),
        "revindex0" => (long)(Length - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == Length - 1,
        "length" => (long)Length,
        "depth" => 1L,
        "depth0" => 0L,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : new Undefined("there is no previous item"),
        "nextitem" => Index0 < Length - 1 ? items[Index0 + 1] : new Undefined("there is no next item"),
        "cycle" => new JinjaFunction("loop.cycle", Cycle),
        "changed" => new JinjaFunction("loop.changed", Changed),
        _ => Undefined.NoAttribute(this, name),
    };

    private object? Cycle(Arguments args) =>
        args.Positional.Count == 0 ? throw new TemplateException("loop.cycle() needs at least one value") : args.Positional[Index0 % args.Positional.Count];

    private object? Changed(Arguments args)
    {
        object? value = args.Positional.Count == 1 ? args.Positional[0] : args.Positional.ToArray();
        if (PyOps.Equal(value, _changedLast))
        {
            return false;
        }

        _changedLast = value;
        return true;
    }
}
