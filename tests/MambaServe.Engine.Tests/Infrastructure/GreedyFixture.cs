using System.Text.Json;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Scheduling;

namespace MambaServe.Engine.Tests.Infrastructure;

/// <summary>One prompt of <see cref="GreedyFixture"/> and the ids the CPU engine generated for it.</summary>
public sealed record GreedyCase(string Prompt, int[] PromptIds, int[] GreedyIds);

/// <summary>
/// The CPU engine's greedy output for a few prompts of the demo model (tests/fixtures/demo-greedy/greedy.json): the
/// GPU engine in fp32 mode must produce the same ids on the device, which has no libtorch to run the CPU engine
/// beside it. A CPU test checks that the CPU engine still produces exactly this file, so it cannot go stale.
/// </summary>
public sealed record GreedyFixture(string Model, int MaxTokens, GreedyCase[] Cases)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static string FilePath => Path.Combine(TestPaths.Fixture("demo-greedy"), "greedy.json");

    public static GreedyFixture Load() => JsonSerializer.Deserialize<GreedyFixture>(File.ReadAllText(FilePath), Json)!;

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Every prompt at once through <paramref name="engine"/> (greedy, EOS ignored); each prompt's ids.</summary>
    public static async Task<int[][]> RunAsync(IGenerationEngine engine, IReadOnlyList<int[]> prompts, int maxTokens, CancellationToken ct)
    {
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = true };
        var runs = prompts.Select(async (prompt, i) =>
        {
            var ids = new List<int>();
            await foreach (var update in engine.GenerateAsync(new GenerationRequest($"greedy-{i}", prompt, sampling), ct))
            {
                ids.AddRange(update.TokenIds);
            }

            return ids.ToArray();
        });
        return await Task.WhenAll(runs);
    }
}
