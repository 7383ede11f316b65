namespace MambaServe.Engine.Backends;

/// <summary>
/// The checks every runner makes on a <see cref="StepBatch"/> before changing any state: each entry has tokens, every
/// token id is in the vocab, every slot is in the pool, and no slot appears twice (as an entry, or as a sample target
/// other than its own entry's slot). Throws <see cref="StepEntryException"/> naming the first bad entry. One per
/// runner; allocates nothing. Not thread-safe.
/// </summary>
public sealed class StepBatchValidator
{
    private readonly int[] _seenInStep;
    private readonly int _vocabSize;
    private int _step;

    public StepBatchValidator(int slotCount, int vocabSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slotCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, 1);
        _seenInStep = new int[slotCount];
        _vocabSize = vocabSize;
    }

    public void Validate(StepBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        NextStep();
        var entries = batch.Entries;
        for (int i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (entry.Tokens.IsEmpty)
            {
                throw new StepEntryException(i, "A step entry has no tokens.");
            }

            Claim(i, entry.Slot);
            foreach (int token in entry.Tokens.Span)
            {
                if ((uint)token >= (uint)_vocabSize)
                {
                    throw new StepEntryException(i, $"Token id {token} is outside the vocabulary [0, {_vocabSize}).");
                }
            }

            bool sampledOwnSlot = false;
            for (int j = 0; j < entry.Samples.Count; j++)
            {
                int slot = entry.Samples[j].Slot;
                if (slot == entry.Slot && !sampledOwnSlot)
                {
                    sampledOwnSlot = true;
                    continue;
                }

                Claim(i, slot);
            }
        }
    }

    private void Claim(int entry, int slot)
    {
        if ((uint)slot >= (uint)_seenInStep.Length)
        {
            throw new StepEntryException(entry, $"Slot {slot} is outside the state pool [0, {_seenInStep.Length}).");
        }

        if (_seenInStep[slot] == _step)
        {
            throw new StepEntryException(entry, $"Slot {slot} appears twice in one step.");
        }

        _seenInStep[slot] = _step;
    }

    private void NextStep()
    {
        if (++_step == int.MaxValue)
        {
            Array.Clear(_seenInStep);
            _step = 1;
        }
    }
}
