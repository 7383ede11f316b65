using MambaServe.Engine.Backends;
using MambaServe.Engine.Cpu.Tests.Infrastructure;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Cpu.Tests;

/// <summary>
/// Matrices kept in bf16 (half the bytes a decode step reads): an fp32 checkpoint rounded to bf16 stays within the
/// bf16 tolerance of tests/fixtures/README.md (relative L2 error per position at most 3e-2), and a bf16-stored
/// checkpoint (the demo model), which auto keeps in bf16, gives the fp32 mode's logits bit for bit where both take the
/// same path (a prompt through the GEMM, a few decode rows through the native linear; from 16 to 47 rows the bf16
/// matrices keep the native linear where fp32 ones take the GEMM, the same products summed in another order).
/// </summary>
public sealed class CpuModelRunnerBf16WeightsTests
{
    [Theory]
    [InlineData("tiny-a")]
    [InlineData("tiny-a-original")] // pytorch_model.bin
    [InlineData("tiny-b")]
    [InlineData("falcon-tiny")]
    public void EveryReferenceCase_Bf16Weights_WithinBf16ToleranceAndRoundedForReal(string model)
    {
        using var bf16 = LoadedRunners.FromFiles(ReferenceSet.ModelDir(model), ModelDType.BFloat16, slots: 1);
        using var fp32 = LoadedRunners.FromFiles(ReferenceSet.ModelDir(model), ModelDType.Float32, slots: 1);
        Assert.Contains("bf16 weights", bf16.Device.Details, StringComparison.Ordinal);
        var width = bf16.LogitsWidth;
        var compared = Math.Min(width, ReferenceSet.Cases(model).First().Vocab);
        var worstFromFp32 = 0.0;
        foreach (var c in ReferenceSet.Cases(model))
        {
            // The prompt as one chunk (libtorch's GEMM over widened blocks past 15 rows), the rest one token a step
            // (the native linear reading bf16).
            bf16.ZeroSlot(0);
            fp32.ZeroSlot(0);
            var prompt = c.Tokens[..c.PromptLength];
            var rows = new List<float[]> { bf16.Prefill(0, prompt) };
            var fp32Rows = new List<float[]> { fp32.Prefill(0, prompt) };
            foreach (var token in c.Tokens[c.PromptLength..])
            {
                rows.Add(bf16.Decode([0], [token]));
                fp32Rows.Add(fp32.Decode([0], [token]));
            }

            var logits = rows.SelectMany(r => r).ToArray();
            var fp32Logits = fp32Rows.SelectMany(r => r).ToArray();
            for (var position = 0; position < c.Tokens.Length; position++)
            {
                var expected = c.Logits.AsSpan(position * c.Vocab, compared);
                var relative = RowDifference.Of(expected, logits.AsSpan(position * width, compared)).RelativeL2;
                Assert.True(relative <= 3e-2, $"{c}: position {position}: relative L2 error {relative}");
                worstFromFp32 = Math.Max(worstFromFp32,
                    RowDifference.Of(fp32Logits.AsSpan(position * width, compared), logits.AsSpan(position * width, compared)).Worst);
            }
        }

        // fp32 weights reach the reference within 1e-3; rounding every matrix to 8 mantissa bits moves logits further.
        Assert.True(worstFromFp32 > 1e-3, $"bf16 weights moved no logit by more than {worstFromFp32}: were they rounded?");
    }

    [Fact]
    public void DemoModel_AutoKeepsItsBf16Matrices_LogitsBitIdenticalToFloat32()
    {
        var dir = ReferenceSet.ModelDir("demo");
        using var auto = LoadedRunners.FromFiles(dir, ModelDType.Auto, slots: 2);
        using var fp32 = LoadedRunners.FromFiles(dir, ModelDType.Float32, slots: 2);
        Assert.Contains("bf16 weights", auto.Device.Details, StringComparison.Ordinal);
        Assert.Contains("fp32 weights", fp32.Device.Details, StringComparison.Ordinal);
        // The matrices are nearly all of the bytes: half as many.
        Assert.InRange(auto.Device.WeightBytes / (double)fp32.Device.WeightBytes, 0.49, 0.52);

        // A 96-token prompt takes the GEMM path (past Bf16NativeMaxRows); then two rows decode through the native linear.
        var rng = new Random(17);
        var prompt = Enumerable.Range(0, 96).Select(_ => rng.Next(auto.Config.UnpaddedVocabSize)).ToArray();
        Assert.True(prompt.Length > CpuLinear.Bf16NativeMaxRows, "the prompt must take the GEMM path");
        Assert.Equal(fp32.Prefill(0, prompt), auto.Prefill(0, prompt));
        fp32.Prefill(1, prompt[..5]);
        auto.Prefill(1, prompt[..5]);
        for (var step = 0; step < 8; step++)
        {
            int[] tokens = [rng.Next(auto.Config.UnpaddedVocabSize), rng.Next(auto.Config.UnpaddedVocabSize)];
            Assert.Equal(fp32.Decode([0, 1], tokens), auto.Decode([0, 1], tokens));
        }
    }

    // Auto rounds nothing: an fp32-stored checkpoint keeps fp32 matrices and the reference's 1e-3.
    [Fact]
    public void Fp32StoredCheckpoint_AutoKeepsFp32MatricesWithinTheReferencesTolerance()
    {
        using var auto = LoadedRunners.FromFiles(ReferenceSet.ModelDir("tiny-b"), ModelDType.Auto, slots: 1);
        Assert.Contains("fp32 weights", auto.Device.Details, StringComparison.Ordinal);

        var c = ReferenceSet.Cases("tiny-b").MaxBy(r => r.Tokens.Length)!;
        c.AssertRowsWithin(auto.Prefill(0, c.Tokens), auto.LogitsWidth, 0, c.Tokens.Length, 1e-3f);
    }

    [Fact]
    public void CreateRunner_Bfloat16_DescribesItsWeights()
    {
        var weights = CheckpointWeightSource.Open(ReferenceSet.ModelDir("tiny-b"));
        var options = new RunnerOptions(weights, new Engine.State.StatePoolOptions { SlotCount = 1 }, 900, Threads: 1, DType: ModelDType.BFloat16);

        using var runner = RunnerBackends.Resolve(DeviceKind.Cpu).CreateRunner(options);

        Assert.Contains("bf16 weights", runner.Device.ToString(), StringComparison.Ordinal);
    }

    // Past 15 rows a bf16 matrix reaches libtorch's GEMM widened 8 MB of fp32 at a time: a matrix of 2,100 x 1,024 goes
    // in two blocks (2,048 rows, then 52), each written to its own columns of the output.
    [Fact]
    public void Linear_Bf16MatrixOverTwoWidenedBlocks_EqualsTheGemmOfItsFp32Widening()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        TorchSharp.torch.random.manual_seed(5);
        var x = TorchSharp.torch.randn(20, 1024);
        var bf16Weight = TorchSharp.torch.randn(2100, 1024).mul_(0.05).to(TorchSharp.torch.bfloat16);
        var bias = TorchSharp.torch.randn(2100);
        var widened = bf16Weight.to(TorchSharp.torch.float32);

        var actual = new CpuLinear(bf16Weight, bias).Apply(x, 20);
        var expected = new CpuLinear(widened, bias).Apply(x, 20);

        Assert.Equal(new long[] { 20, 2100 }, actual.shape);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-5), $"largest difference {(actual - expected).abs().max().item<float>()}");
    }
}
