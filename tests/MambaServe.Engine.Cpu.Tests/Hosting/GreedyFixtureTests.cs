using MambaServe.Engine.Hosting;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.State;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Cpu.Tests.Hosting;

/// <summary>
/// tests/fixtures/demo-greedy/greedy.json is the CPU engine's greedy output on the demo model, the yardstick of the
/// GPU engine's fp32 mode on the device (which cannot run the CPU engine: it has no libtorch). This test keeps the
/// file true: the CPU engine must still produce exactly it. To write it again after a deliberate change, run this
/// test with MAMBASERVE_WRITE_GREEDY_FIXTURE set to the file's path in the source tree.
/// </summary>
public class GreedyFixtureTests
{
    private const int MaxTokens = 24;

    private static readonly string[] Prompts =
    [
        "The jury said it was satisfied that the election",
        "Once upon a time",
        "In 1850, the city council voted to",
        "The",
    ];

    [Fact]
    public async Task CpuEngine_GreedyOnDemo_ProducesExactlyTheFixture()
    {
        var options = new EngineOptions(new SchedulerOptions { MaxRunningSequences = 8, PrefixCacheMaxBytes = 0 }, new StatePoolOptions { SlotCount = 8 });
        await using var model = ServedModel.Load(TestPaths.DemoModel, "demo", options);
        var promptIds = Prompts.Select(p => model.Tokenizer!.Encode(p).ToArray()).ToArray();
        var ids = await GreedyFixture.RunAsync(model.Engine, promptIds, MaxTokens, TestContext.Current.CancellationToken);
        var produced = new GreedyFixture("mamba-demo-5m", MaxTokens, [.. Prompts.Select((p, i) => new GreedyCase(p, promptIds[i], ids[i]))]);

        if (Environment.GetEnvironmentVariable("MAMBASERVE_WRITE_GREEDY_FIXTURE") is { Length: > 0 } path)
        {
            await File.WriteAllTextAsync(path, produced.ToJson() + "\n", TestContext.Current.CancellationToken);
        }

        var fixture = GreedyFixture.Load();
        Assert.Equal(MaxTokens, fixture.MaxTokens);
        Assert.Equal(Prompts, fixture.Cases.Select(c => c.Prompt));
        for (int i = 0; i < Prompts.Length; i++)
        {
            Assert.Equal(fixture.Cases[i].PromptIds, promptIds[i]);
            Assert.True(fixture.Cases[i].GreedyIds.SequenceEqual(ids[i]),
                $"'{Prompts[i]}': the CPU engine now gives [{string.Join(", ", ids[i])}], the fixture holds [{string.Join(", ", fixture.Cases[i].GreedyIds)}]");
        }
    }
}
