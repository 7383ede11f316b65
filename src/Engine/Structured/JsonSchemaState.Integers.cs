namespace MambaServe.Engine.Structured;

/// <summary>
/// Whole numbers with bounds (minimum / maximum and their exclusive forms, <see cref="SchemaNode.IntegerMin"/> and
/// <see cref="SchemaNode.IntegerMax"/>): the digits so far are kept, and a digit is taken only while some number that
/// begins with them lies within the bounds; the number ends only inside them.
/// </summary>
public readonly partial record struct JsonSchemaState
{
    private bool IsBoundedInteger => _node is { IsBoundedInteger: true };

    private bool Negative => _aux == 1;

    /// <summary>The first byte of a bounded integer: a minus, a lone zero, or its first digit.</summary>
    private bool StartBoundedInteger(SchemaNode node, byte b, out JsonSchemaState next)
    {
        next = this;
        var (lo, hi) = (node.IntegerMin, node.IntegerMax);
        return b switch
        {
            // "-" then digits: some value at most 0 (-0 is 0) must fit.
            (byte)'-' => lo <= Math.Min(hi, 0) && Digits(node, Mode.NumMinus, negative: true, 0, out next),
            (byte)'0' => lo <= 0 && hi >= 0 && Digits(node, Mode.NumZero, negative: false, 0, out next),
            _ => Viable(lo, hi, negative: false, b - '0') && Digits(node, Mode.NumInt, negative: false, b - '0', out next),
        };
    }

    /// <summary>A byte after a bounded integer's sign or digits: another digit if some number can still fit, else its end.</summary>
    private bool BoundedDigit(byte b, out JsonSchemaState next)
    {
        next = this;
        var node = _node!;
        var (lo, hi) = (node.IntegerMin, node.IntegerMax);
        bool digit = b is >= (byte)'0' and <= (byte)'9';
        switch (_mode)
        {
            case Mode.NumMinus when b == '0':
                return lo <= 0 && hi >= 0 && Digits(node, Mode.NumZero, Negative, 0, out next);
            case Mode.NumMinus:
                return digit && b != '0' && Viable(lo, hi, negative: true, b - '0') && Digits(node, Mode.NumInt, Negative, b - '0', out next);
            case Mode.NumInt when digit:
                if (_magnitude > (long.MaxValue - (b - '0')) / 10)
                {
                    return false;
                }

                long magnitude = _magnitude * 10 + (b - '0');
                return Viable(lo, hi, Negative, magnitude) && Digits(node, Mode.NumInt, Negative, magnitude, out next);
            default:
                // NumZero takes no more digits, and a whole number no fraction or exponent: any other byte ends it.
                return !digit && BoundedIntegerEnds() && EndNumber(b, out next);
        }
    }

    /// <summary>Whether the number read so far may end here: a bounded integer within its bounds (any other number: yes).</summary>
    private bool BoundedIntegerEnds()
    {
        if (!IsBoundedInteger)
        {
            return true;
        }

        long value = Negative ? -_magnitude : _magnitude;
        return _mode != Mode.NumMinus && value >= _node!.IntegerMin && value <= _node.IntegerMax;
    }

    private bool Digits(SchemaNode node, Mode mode, bool negative, long magnitude, out JsonSchemaState next)
    {
        next = new JsonSchemaState(_frames, mode, node, aux: (byte)(negative ? 1 : 0), integer: true, magnitude: magnitude);
        return true;
    }

    /// <summary>
    /// Whether some whole number that begins with these digits (then 0 or more digits) lies in [lo, hi]: with k more
    /// digits it is in [m 10^k, m 10^k + 10^k - 1], or the mirror of that below zero.
    /// </summary>
    private static bool Viable(long lo, long hi, bool negative, long magnitude)
    {
        long first = magnitude, span = 1;
        for (int k = 0; k <= 18; k++)
        {
            long last = first + span - 1;
            var (from, to) = negative ? (-last, -first) : (first, last);
            if (from <= hi && to >= lo)
            {
                return true;
            }

            if (first > long.MaxValue / 10)
            {
                return false;
            }

            first *= 10;
            span *= 10;
        }

        return false;
    }
}
