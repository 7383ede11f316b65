using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Gpu.Tests.Interop.ModelApi;

/// <summary>
/// msv_model_step of libmambaserve_cpu (the fp32 reference model) against the float64 HF references: every path a
/// step can take to the same logits.
/// </summary>
public sealed class RefModelLogitsTests
{
    public static TheoryData<string, int> Cases => ReferenceRows.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Step_WholeSequenceInOneEntry_MatchesReference(string model, int caseIndex)
    {
        var c = ReferenceSet.Cases(model)[caseIndex];
        using var m = ReferenceRows.Load(model);

        var logits = m.Logits(3, c.Tokens);

        ReferenceRows.AssertMatch(c, logits, m.Config.Vocab, 0, c.Tokens.Length);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Step_PromptThenOneTokenAtATime_MatchesReferenceAndGreedyFollowsIt(string model, int caseIndex)
    {
        var c = ReferenceSet.Cases(model)[caseIndex];
        using var m = ReferenceRows.Load(model);
        var width = m.Config.Vocab;
        var greedy = new[] { new SampleRequest(1, SamplingSpec.Greedy) };

        var prompt = m.Step(new EntryRequest(1, c.Tokens[..c.PromptLength], AllLogits: true, greedy));
        ReferenceRows.AssertMatch(c, prompt.Logits, width, 0, c.PromptLength);
        var next = prompt.Tokens[0];
        for (var t = c.PromptLength; t < c.Tokens.Length; t++)
        {
            Assert.Equal(c.Tokens[t], next);
            var r = m.Step(new EntryRequest(1, [c.Tokens[t]], AllLogits: true, greedy));
            ReferenceRows.AssertMatch(c, r.Logits, width, t, 1);
            next = r.Tokens[0];
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Step_InChunksOf7_MatchesReference(string model, int caseIndex)
    {
        var c = ReferenceSet.Cases(model)[caseIndex];
        using var m = ReferenceRows.Load(model);
        for (var start = 0; start < c.Tokens.Length; start += 7)
        {
            var end = Math.Min(start + 7, c.Tokens.Length);
            ReferenceRows.AssertMatch(c, m.Logits(0, c.Tokens[start..end]), m.Config.Vocab, start, end - start);
        }
    }

    /// <summary>
    /// Every case of the model in the same steps, each on its own slot: the prompts together first (different
    /// lengths), then some cases one token per step while the others take chunks of 5, so decodes and prefill chunks
    /// share steps.
    /// </summary>
    [Theory]
    [MemberData(nameof(ModelNames))]
    public void Step_BatchedWithOtherSequences_EachMatchesItsReference(string model)
    {
        var cases = ReferenceSet.Cases(model);
        using var m = ReferenceRows.Load(model);
        var width = m.Config.Vocab;
        var position = new int[cases.Count];
        var first = true;
        while (position.Where((p, i) => p < cases[i].Tokens.Length).Any())
        {
            var running = Enumerable.Range(0, cases.Count).Where(i => position[i] < cases[i].Tokens.Length).ToArray();
            var lengths = running.Select(i => first ? cases[i].PromptLength
                : Math.Min(i % 2 == 0 ? 1 : 5, cases[i].Tokens.Length - position[i])).ToArray();
            var entries = running.Select((i, k) => new EntryRequest(i + 2, cases[i].Tokens[position[i]..(position[i] + lengths[k])], AllLogits: true)).ToArray();

            var logits = m.Step(entries).Logits;

            var row = 0;
            for (var k = 0; k < running.Length; k++)
            {
                var i = running[k];
                ReferenceRows.AssertMatch(cases[i], logits.AsSpan(row * width), width, position[i], lengths[k]);
                row += lengths[k];
                position[i] += lengths[k];
            }
            first = false;
        }
    }

    public static TheoryData<string> ModelNames => [.. ReferenceRows.Models];
}
