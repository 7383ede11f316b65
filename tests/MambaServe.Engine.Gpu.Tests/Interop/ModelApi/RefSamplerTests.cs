using MambaServe.Engine.Generation;

namespace MambaServe.Engine.Gpu.Tests.Interop.ModelApi;

/// <summary>
/// The sampler of msv_model_step (libmambaserve_cpu: model/sampler_ref.cpp) on logits rows the test chooses
/// (<see cref="LogitRowModel"/>), against <see cref="BruteForceSampler"/> and a float64 log-softmax.
/// </summary>
public sealed class RefSamplerTests
{
    private const int Vocab = 1000;
    private const int Sampleable = 990;

    [Fact]
    public void Philox_KnownAnswerVectors_MatchRandom123()
    {
        Assert.Equal([0x6627e8d5u, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8], Philox.Generate(0, 0, 0, 0, 0, 0));
        Assert.Equal([0x408f276du, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
            Philox.Generate(~0u, ~0u, ~0u, ~0u, ~0u, ~0u));
        Assert.Equal([0xd16cfe09u, 0x94fdcceb, 0x5001e420, 0x24126ea1],
            Philox.Generate(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0));
    }

    [Fact]
    public void Greedy_TiedMaximumAndLargerPaddedIds_LowestSampleableIdWins()
    {
        var rows = LogitRowModel.RandomRows(new Random(1), 2, Vocab, Sampleable, 1f);
        rows[0][700] = 9f;
        rows[0][300] = 9f;
        using var m = LogitRowModel.Create(rows, Vocab, Sampleable);

        var r = m.Step(new EntryRequest(0, [0], Samples: [new SampleRequest(0, SamplingSpec.Greedy)]),
            new EntryRequest(1, [1], Samples: [new SampleRequest(1, SamplingSpec.Greedy)]));

        Assert.Equal(300, r.Tokens[0]);
        Assert.Equal(BruteForceSampler.ArgMax(rows[1][..Sampleable]), r.Tokens[1]);
    }

    public static TheoryData<string> Truncations => ["none", "top_k", "top_p", "min_p", "top_k+top_p", "all"];

    /// <summary>
    /// 8 rows x 40 draws (seed and position vary): every draw equals the brute-force draw, so the native survivor
    /// set is the documented one (a token outside it, or one missing from it, would win some Gumbel draw). The
    /// rows are flat enough that each truncation keeps several tokens but not all.
    /// </summary>
    [Theory]
    [MemberData(nameof(Truncations))]
    public void Draw_Truncation_EqualsBruteForceDrawFromTheDocumentedSet(string truncation)
    {
        var rng = new Random(truncation.Length * 31 + 5);
        var rows = LogitRowModel.RandomRows(rng, 8, Vocab, Sampleable, 2f);
        using var m = LogitRowModel.Create(rows, Vocab, Sampleable);
        var reference = new BruteForceSampler(Sampleable);
        var sizes = new List<int>();
        for (var draw = 0; draw < 40; draw++)
        {
            var p = Truncated(truncation, rng) with { Seed = (ulong)rng.NextInt64(), Temperature = 0.5f + rng.NextSingle() };
            var position = rng.Next(5000);
            var entries = Enumerable.Range(0, 8).Select(r => new EntryRequest(r, [r], Samples: [new SampleRequest(r, p, Position: position)])).ToArray();

            var tokens = m.Step(entries).Tokens;

            for (var r = 0; r < 8; r++)
            {
                reference.Reset(r, []);
                var survivors = BruteForceSampler.Survivors(BruteForceSampler.Scaled(rows[r][..Sampleable], p.Temperature), p);
                sizes.Add(survivors.Count);
                Assert.Contains(tokens[r], survivors);
                Assert.Equal(reference.Draw(r, rows[r], p, position), tokens[r]);
            }
        }
        if (truncation != "none") Assert.InRange(sizes.Average(), 2, Sampleable - 1);
    }

    private static SamplingSpec Truncated(string truncation, Random rng) => truncation switch
    {
        "none" => new SamplingSpec(),
        "top_k" => new SamplingSpec { TopK = 1 + rng.Next(40) },
        "top_p" => new SamplingSpec { TopP = 0.05f + 0.9f * rng.NextSingle() },
        "min_p" => new SamplingSpec { MinP = 0.01f + 0.3f * rng.NextSingle() },
        "top_k+top_p" => new SamplingSpec { TopK = 5 + rng.Next(100), TopP = 0.3f + 0.6f * rng.NextSingle() },
        _ => new SamplingSpec { TopK = 5 + rng.Next(100), TopP = 0.3f + 0.6f * rng.NextSingle(), MinP = 0.05f * rng.NextSingle() },
    };

    [Fact]
    public void Draw_SameSeedAndPosition_SameTokenWhateverTheRestOfTheStep()
    {
        var rng = new Random(17);
        var rows = LogitRowModel.RandomRows(rng, 6, Vocab, Sampleable, 0.5f);
        using var m = LogitRowModel.Create(rows, Vocab, Sampleable);
        var p = new SamplingSpec { Seed = 123456789012345ul, TopP = 0.95f };
        var others = new SamplingSpec { Seed = 99 };
        for (var position = 0; position < 20; position++)
        {
            var alone = m.Step(new EntryRequest(0, [3], Samples: [new SampleRequest(0, p, Position: position)])).Tokens[0];
            var batched = m.Step(
                new EntryRequest(4, [1], Samples: [new SampleRequest(4, others, Position: 7)]),
                new EntryRequest(2, [5, 4]),
                new EntryRequest(9, [3], Samples: [new SampleRequest(9, p, Position: position), new SampleRequest(11, others)]),
                new EntryRequest(5, [0], AllLogits: true)).Tokens[1];
            Assert.Equal(alone, batched);
        }
    }

    [Fact]
    public void Draw_DifferentSeedsOrPositions_SpreadOverTheRow()
    {
        var rows = new[] { Enumerable.Repeat(0f, Vocab).ToArray() };
        using var m = LogitRowModel.Create(rows, Vocab, Sampleable);
        var tokens = Enumerable.Range(0, 200).Select(i =>
            m.Step(new EntryRequest(0, [0], Samples: [new SampleRequest(0, new SamplingSpec { Seed = (ulong)(i % 2) }, Position: i / 2)])).Tokens[0]).ToArray();

        Assert.True(tokens.Distinct().Count() > 150, $"{tokens.Distinct().Count()} distinct tokens of 200 uniform draws");
        Assert.All(tokens, t => Assert.InRange(t, 0, Sampleable - 1));
    }

    /// <summary>
    /// Sequences of 12 draws per slot with bias and all three penalties: the slot's sampler state (prompt ids at
    /// reset, then every drawn token) must penalise exactly the tokens the brute force penalises, every step.
    /// </summary>
    [Fact]
    public void Draw_PenaltiesAndBiasOverASequence_EqualBruteForce()
    {
        var rng = new Random(23);
        var rows = LogitRowModel.RandomRows(rng, 4, Vocab, Sampleable, 1.5f);
        using var m = LogitRowModel.Create(rows, Vocab, Sampleable);
        var reference = new BruteForceSampler(Sampleable);
        var specs = Enumerable.Range(0, 4).Select(r => new SamplingSpec
        {
            Temperature = r == 0 ? 0f : 0.8f, TopK = r == 2 ? 20 : 0, Seed = (ulong)(r + 1),
            RepetitionPenalty = 1.3f, FrequencyPenalty = 0.4f, PresencePenalty = r == 3 ? -0.5f : 0.7f,
            BiasIds = [rng.Next(Sampleable), rng.Next(Sampleable), Sampleable + 3], BiasValues = [2.5f, -3f, 50f],
            PromptIds = [.. Enumerable.Range(0, 30).Select(_ => rng.Next(Vocab))],
        }).ToArray();
        for (var position = 0; position < 12; position++)
        {
            var entries = Enumerable.Range(0, 4).Select(r =>
                new EntryRequest(r, [r], Samples: [new SampleRequest(r, specs[r], Reset: position == 0, Position: position)])).ToArray();
            var tokens = m.Step(entries).Tokens;
            for (var r = 0; r < 4; r++)
            {
                if (position == 0) reference.Reset(r, specs[r].PromptIds);
                Assert.Equal(reference.Draw(r, rows[r], specs[r], position), tokens[r]);
            }
        }
    }

    /// <summary>
    /// A grammar's bans as ban_bits (most of the row banned, changing every step, with bias and penalties on): every
    /// draw and logprob equals the same bans sent as bias entries of MSV_BAN_BIAS appended to the list (what the GPU
    /// runner sent before the mask existed), and the brute-force draw; no banned id is ever drawn.
    /// </summary>
    [Fact]
    public void Draw_BanBits_EqualTheSameBansAsBiasEntries()
    {
        var rng = new Random(41);
        var rows = LogitRowModel.RandomRows(rng, 4, Vocab, Sampleable, 2f);
        using var bits = LogitRowModel.Create(rows, Vocab, Sampleable);
        using var entries = LogitRowModel.Create(rows, Vocab, Sampleable);
        var reference = new BruteForceSampler(Sampleable);
        var specs = Enumerable.Range(0, 4).Select(r => new SamplingSpec
        {
            Temperature = r == 0 ? 0f : 0.9f, TopP = r == 2 ? 0.8f : 1f, TopK = r == 3 ? 5 : 0, Seed = (ulong)(r + 7),
            RepetitionPenalty = 1.2f, PresencePenalty = 0.3f, Logprobs = 3,
            BiasIds = [rng.Next(Sampleable), rng.Next(Sampleable)], BiasValues = [4f, -2f],
            PromptIds = [.. Enumerable.Range(0, 20).Select(_ => rng.Next(Sampleable))],
        }).ToArray();
        for (var position = 0; position < 10; position++)
        {
            var allowed = Enumerable.Range(0, Sampleable).OrderBy(_ => rng.Next()).Take(1 + rng.Next(40)).ToHashSet();
            var mask = TokenMask.Of(Enumerable.Range(0, Sampleable).Where(id => !allowed.Contains(id)), Sampleable);
            var withBits = specs.Select(p => p with { Bans = mask }).ToArray();
            var withEntries = specs.Select(p => p with
            {
                BiasIds = [.. p.BiasIds, .. mask], BiasValues = [.. p.BiasValues, .. mask.Select(_ => BruteForceSampler.BanBias)],
            }).ToArray();
            StepResult Run(RefModel m, SamplingSpec[] ps) => m.Step([.. Enumerable.Range(0, 4).Select(r =>
                new EntryRequest(r, [r], Samples: [new SampleRequest(r, ps[r], Reset: position == 0, Position: position)]))]);

            var a = Run(bits, withBits);
            var b = Run(entries, withEntries);

            Assert.Equal(b.Tokens, a.Tokens);
            Assert.Equal(b.Logprobs, a.Logprobs);
            for (var r = 0; r < 4; r++)
            {
                Assert.Equal(b.TopIdsOf(r).ToArray(), a.TopIdsOf(r).ToArray());
                Assert.Contains(a.Tokens[r], allowed);
                if (position == 0) reference.Reset(r, specs[r].PromptIds);
                Assert.Equal(reference.Draw(r, rows[r], withBits[r], position), a.Tokens[r]);
            }
        }
    }

    [Fact]
    public void Greedy_Penalties_MoveTheArgmaxAsDocumented()
    {
        var row = Enumerable.Range(0, Vocab).Select(v => v >= Sampleable ? 0f : -5f).ToArray();
        row[10] = 4f; row[11] = 3.5f; row[12] = -1f; row[13] = -1.1f;
        using var m = LogitRowModel.Create([row], Vocab, Sampleable);
        int Greedy(SamplingSpec p, bool reset = true) =>
            m.Step(new EntryRequest(0, [0], Samples: [new SampleRequest(0, p with { Temperature = 0f }, Reset: reset)])).Tokens[0];

        Assert.Equal(10, Greedy(new SamplingSpec()));
        Assert.Equal(11, Greedy(new SamplingSpec { RepetitionPenalty = 1.2f, PromptIds = [10] }));   // 4 / 1.2 < 3.5
        Assert.Equal(10, Greedy(new SamplingSpec { RepetitionPenalty = 1.1f, PromptIds = [10] }));   // 4 / 1.1 > 3.5
        Assert.Equal(12, Greedy(new SamplingSpec { BiasIds = [12], BiasValues = [5.1f] }));          // -1 + 5.1 > 4
        Assert.Equal(10, Greedy(new SamplingSpec { BiasIds = [13], BiasValues = [5.1f], RepetitionPenalty = 2f, PromptIds = [13] })); // (-1.1 + 5.1) / 2
        Assert.Equal(11, Greedy(new SamplingSpec { BiasIds = [10], BiasValues = [-100f] }));
        // Frequency: the state keeps counting across steps without reset: 10 wins until 4 - 0.3 n < 3.5.
        var p = new SamplingSpec { FrequencyPenalty = 0.3f };
        Assert.Equal([10, 10, 11], new[] { Greedy(p), Greedy(p, reset: false), Greedy(p, reset: false) });
        Assert.Equal(10, Greedy(p));  // reset clears the counts
    }

    [Fact]
    public void Logprobs_ChosenAndTopN_EqualFloat64LogSoftmaxOverSampleableIds()
    {
        var rng = new Random(5);
        var rows = LogitRowModel.RandomRows(rng, 3, Vocab, Sampleable, 3f);
        rows[1][40] = rows[1][41] = rows[1][39] = 20f;  // a three-way tie at the top: lower ids first
        using var m = LogitRowModel.Create(rows, Vocab, Sampleable, maxLogprobs: 20);
        var specs = new[] { new SamplingSpec { Seed = 3, Logprobs = 20 }, SamplingSpec.Greedy with { Logprobs = 5 }, new SamplingSpec { Logprobs = 0 } };

        var r = m.Step([.. Enumerable.Range(0, 3).Select(i => new EntryRequest(i, [i], Samples: [new SampleRequest(i, specs[i])]))]);

        for (var i = 0; i < 3; i++)
        {
            var raw = rows[i][..Sampleable];
            var max = raw.Max();
            var logNorm = max + Math.Log(raw.Sum(v => Math.Exp((double)v - max)));
            Assert.Equal(raw[r.Tokens[i]] - logNorm, r.Logprobs[i], 1e-4);
            var n = Math.Max(specs[i].Logprobs, 0);
            var expected = Enumerable.Range(0, Sampleable).OrderByDescending(id => raw[id]).ThenBy(id => id).Take(n).ToArray();
            Assert.Equal([.. expected, .. Enumerable.Repeat(-1, 20 - n)], r.TopIdsOf(i).ToArray());
            for (var k = 0; k < n; k++) Assert.Equal(raw[expected[k]] - logNorm, r.TopLogprobsOf(i)[k], 1e-4);
            Assert.All(r.TopLogprobsOf(i)[n..].ToArray(), v => Assert.Equal(float.NegativeInfinity, v));
        }
        Assert.Equal([39, 40, 41], r.TopIdsOf(1)[..3].ToArray());
        Assert.Equal(39, r.Tokens[1]);
    }
}
