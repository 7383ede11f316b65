using MambaServe.Engine.Gpu.Interop;
using MambaServe.Engine.Interop;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Gpu.Tests.Interop.ModelApi;

/// <summary>
/// msv_model_step refuses bad input before changing any state: status, message (naming the entry or sample),
/// out_bad_entry, and every slot's state exactly as before.
/// </summary>
public sealed class RefModelStepArgumentTests
{
    private const int Slots = 8;

    [Theory]
    [InlineData("slot out of range", "entry 1: slot 70 out of range [0, 8)", 1)]
    [InlineData("slot twice", "entry 2: slot 0 already used by entry 0", 2)]
    [InlineData("fork onto an entry's slot", "sample 0: slot 3 already used by entry 1", 0)]
    [InlineData("two own targets", "sample 2: slot 3 already sampled by sample 1", 1)]
    [InlineData("token out of range", "entry 0: tokens[1] = 512 out of range [0, 512)", 0)]
    [InlineData("negative token", "entry 2: tokens[0] = -3 out of range [0, 512)", 2)]
    [InlineData("empty entry", "entry 1: n_tokens must be >= 1, got 0", 1)]
    [InlineData("tokens null", "entry 0: tokens is NULL", 0)]
    [InlineData("targets past the end", "entry 1: samples [1, 4) not inside [0, 3)", 1)]
    [InlineData("orphan target", "sample 2: belongs to no entry", -1)]
    [InlineData("top_p", "sample 0: top_p must be in (0, 1], got 1.5", 0)]
    [InlineData("temperature", "sample 1: temperature must be finite and >= 0, got NaN", 1)]
    [InlineData("top_k", "sample 0: top_k must be >= 0 (0: off), got -2", 0)]
    [InlineData("min_p", "sample 2: min_p must be in [0, 1], got 2", 1)]
    [InlineData("repetition", "sample 0: repetition_penalty must be finite and > 0, got 0", 0)]
    [InlineData("logprobs", "sample 0: logprobs must be <= max_logprobs (20), got 21", 0)]
    [InlineData("bias value", "sample 1: bias_values[0] is not finite", 1)]
    [InlineData("bias id", "sample 1: bias_ids[0] = -4 is negative", 1)]
    [InlineData("prompt id", "sample 0: prompt_ids[1] = 600 out of range [0, 512)", 0)]
    [InlineData("sampling null", "sample 2: sampling is NULL", 1)]
    [InlineData("position", "sample 0: position must be >= 0, got -1", 0)]
    [InlineData("too many tokens", "the step carries 4104 tokens, more than max_step_tokens 4096", -1)]
    [InlineData("out_logits null", "out_logits is NULL, but an entry sets all_logits", -1)]
    [InlineData("out_top_ids null", "out_top_ids or out_top_logprobs is NULL, but a sample asks for 3 logprobs", -1)]
    public void Step_BadInput_RefusedNamingTheFaultAndNoStateChanges(string scenario, string message, int badEntry)
    {
        using var m = ReferenceRows.Load("tiny-a", Slots);
        for (var slot = 0; slot < Slots; slot++) m.Step(new EntryRequest(slot, [1 + slot, 17, 300 + slot]));
        var before = Enumerable.Range(0, Slots).Select(s => Export(m, s)).ToArray();
        var entries = new[]
        {
            new EntryRequest(0, [5, 6, 7], Samples: [new SampleRequest(6, new SamplingSpec { Logprobs = 3 })]),
            new EntryRequest(3, [9], AllLogits: true, Samples: [new SampleRequest(3, SamplingSpec.Greedy), new SampleRequest(4, new SamplingSpec())]),
            new EntryRequest(2, [11, 12]),
        };
        if (scenario == "too many tokens") entries[2] = entries[2] with { Tokens = new int[4100] };
        using var step = new StepBuilder(m.Config, entries);

        Break(step, scenario);
        var status = step.Run(m);

        Assert.Equal(MsvStatus.InvalidArgument, status);
        Assert.StartsWith("msv_model_step: " + message, NativeStatus.LastError(), StringComparison.Ordinal);
        Assert.Equal(badEntry, step.BadEntry);
        Assert.Equal(before, Enumerable.Range(0, Slots).Select(s => Export(m, s)).ToArray());
    }

    private static void Break(StepBuilder step, string scenario)
    {
        switch (scenario)
        {
            case "slot out of range": step.Entry(1).Slot = 70; break;
            case "slot twice": step.Entry(2).Slot = 0; break;
            case "fork onto an entry's slot": step.Target(0).Slot = 3; break;
            case "two own targets": step.Target(2).Slot = 3; break;
            case "token out of range": NativeArena.View<int>(step.Entry(0).Tokens, 3)[1] = 512; break;
            case "negative token": NativeArena.View<int>(step.Entry(2).Tokens, 2)[0] = -3; break;
            case "empty entry": step.Entry(1).NTokens = 0; break;
            case "tokens null": step.Entry(0).Tokens = 0; break;
            case "targets past the end": step.Entry(1).NSamples = 3; break;
            case "orphan target": step.Entry(1).NSamples = 1; break;
            case "top_p": step.Sampling(0).TopP = 1.5f; break;
            case "temperature": step.Sampling(1).Temperature = float.NaN; break;
            case "top_k": step.Sampling(0).TopK = -2; break;
            case "min_p": step.Sampling(2).MinP = 2f; break;
            case "repetition": step.Sampling(0).RepetitionPenalty = 0f; break;
            case "logprobs": step.Sampling(0).Logprobs = 21; break;
            case "bias value": SetBias(step, 1, 7, float.PositiveInfinity); break;
            case "bias id": SetBias(step, 1, -4, 1f); break;
            case "prompt id": step.Sampling(0).PromptIds = step.Copy<int>([3, 600]); step.Sampling(0).NPrompt = 2; break;
            case "sampling null": step.Target(2).Sampling = 0; break;
            case "position": step.Target(0).Position = -1; break;
            case "too many tokens": break;
            case "out_logits null": step.Raw.OutLogits = 0; break;
            case "out_top_ids null": step.Raw.OutTopIds = 0; break;
            default: throw new ArgumentOutOfRangeException(nameof(scenario), scenario, "unknown scenario");
        }
    }

    private static void SetBias(StepBuilder step, int sample, int id, float value)
    {
        step.Sampling(sample).BiasIds = step.Copy<int>([id]);
        step.Sampling(sample).BiasValues = step.Copy<float>([value]);
        step.Sampling(sample).NBias = 1;
    }

    private static byte[] Export(RefModel m, int slot)
    {
        using var s = m.Snapshot(slot);
        return s.Export();
    }
}
