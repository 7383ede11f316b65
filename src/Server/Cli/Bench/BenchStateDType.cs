using MambaServe.Engine.State;

namespace MambaServe.Server.Cli.Bench;

/// <summary>The SSM state dtypes as the bench commands name them: fp32 and bf16 (float32 / bfloat16 also read).</summary>
internal static class BenchStateDType
{
    public static StateDType Parse(string value) => value switch
    {
        "fp32" or "float32" => StateDType.Float32,
        "bf16" or "bfloat16" => StateDType.BFloat16,
        _ => throw new ArgumentException($"Unknown state dtype '{value}': fp32 or bf16."),
    };

    public static string Name(StateDType state) => state == StateDType.BFloat16 ? "bf16" : "fp32";
}
