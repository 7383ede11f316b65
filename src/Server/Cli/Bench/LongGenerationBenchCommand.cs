using System.CommandLine;
using System.Diagnostics;
using MambaServe.Engine.Backends;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.State;
using MambaServe.Server.Cli.Bench.Gpu;
using Spectre.Console;

namespace MambaServe.Server.Cli.Bench;

/// <summary>
/// `bench long-generation`: one streamed completion of many tokens (default 200,000) through the real HTTP server,
/// recording the process's resident memory and managed heap at 1k, 10k, 100k and the last token: a Mamba sequence's
/// state has a fixed size, so memory must stay flat however long the stream runs. A shorter stream runs first
/// (--warmup-tokens) so that what the process grows once (JIT tiers, GC heap sizing, Kestrel and thread-pool buffers)
/// is not counted as growth of the long stream; the resident memory before the warm-up is reported too.
/// </summary>
public static class LongGenerationBenchCommand
{
    public static Command Create(Option<string?> modelOption, Option<string?> deviceOption)
    {
        var tokens = new Option<int>("--tokens") { Description = "Tokens to generate.", DefaultValueFactory = _ => 200_000 };
        var warmup = new Option<int>("--warmup-tokens") { Description = "Tokens of a first stream that warms the process up (0: none).", DefaultValueFactory = _ => 20_000 };
        var command = new Command("long-generation", "Resident memory over one very long streamed generation.") { tokens, warmup };
        command.SetAction(async (parse, ct) =>
        {
            return await CliErrors.ReportingLoadFailures(parse, async () =>
            {
                var device = DeviceChoice.Parse(parse.GetValue(deviceOption));
                var modelDir = await ModelSource.ResolveAsync(parse.GetValue(modelOption), ct);
                await RunAsync(modelDir, device, parse.GetValue(tokens), parse.GetValue(warmup), ct);
                return 0;
            });
        });
        return command;
    }

    private static async Task RunAsync(string modelDir, DeviceKind device, int total, int warmup, CancellationToken ct)
    {
        var name = Path.GetFileName(modelDir.TrimEnd('/'));
        var options = new EngineOptions(new SchedulerOptions { MaxRunningSequences = 2 }, new StatePoolOptions { SlotCount = 2 }, Device: device);
        await using var server = await BenchServer.StartAsync(() => ServedModel.Load(modelDir, name, options));
        long coldRss = HostMemory.ResidentBytes();
        if (warmup > 0)
        {
            await StreamAsync(server, name, warmup, [], ct);
        }

        int[] marks = [.. new[] { 1_000, 10_000, 100_000 }.Where(m => m < total), total];
        var (count, rows) = await StreamAsync(server, name, total, marks, ct);
        Report(name, total, count, warmup, coldRss, rows);
    }

    /// <summary>One streamed completion of <paramref name="total"/> tokens; memory is read as each mark is passed.</summary>
    private static async Task<(int Count, List<(int Tokens, double Seconds, long Rss, long Heap)> Rows)> StreamAsync(
        BenchServer server, string name, int total, int[] marks, CancellationToken ct)
    {
        var rows = new List<(int Tokens, double Seconds, long Rss, long Heap)>();
        // logprobs 0 makes every token its own chunk, so tokens are counted exactly; the server keeps none of them.
        var body = new { model = name, prompt = "The jury said", max_tokens = total, temperature = 0, ignore_eos = true, stream = true, logprobs = 0, return_tokens_as_token_ids = true };
        var clock = Stopwatch.StartNew();
        int count = 0, next = 0;
        await foreach (var (_, data) in ConversationClient.EventsAsync(server.Client, "/v1/completions", body, ct))
        {
            count += data["choices"]?[0]?["logprobs"]?["tokens"]?.AsArray().Count ?? 0;
            while (next < marks.Length && count >= marks[next])
            {
                rows.Add((marks[next++], clock.Elapsed.TotalSeconds, HostMemory.ResidentBytes(), GC.GetTotalMemory(forceFullCollection: false)));
            }
        }

        return (count, rows);
    }

    private static void Report(string name, int total, int count, int warmup, long coldRss, List<(int Tokens, double Seconds, long Rss, long Heap)> rows)
    {
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160);
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(name)}[/]: one streamed completion of {total} tokens (EOS ignored, greedy), {count} received; " +
            $"RSS {coldRss / 1e6:F1} MB with the model loaded, before a {warmup}-token warm-up stream");
        var table = new Table().AddColumns("tokens", "elapsed s", "tok/s so far", "RSS MB", "managed heap MB", "RSS vs first mark");
        foreach (var (tokens, seconds, rss, heap) in rows)
        {
            table.AddRow($"{tokens}", $"{seconds:F1}", $"{tokens / seconds:F0}", $"{rss / 1e6:F1}", $"{heap / 1e6:F1}",
                $"{(rss - rows[0].Rss) * 100.0 / rows[0].Rss:+0.0;-0.0}%");
        }

        AnsiConsole.Write(table);
    }
}
