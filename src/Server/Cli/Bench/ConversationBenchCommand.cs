using System.CommandLine;
using MambaServe.Engine.Backends;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.State;
using MambaServe.Engine.Tokenization;
using Spectre.Console;

namespace MambaServe.Server.Cli.Bench;

/// <summary>
/// `bench conversation`: a many-turn conversation through the real HTTP server, time to first token per turn,
/// continuing with previous_response_id, in a conversation of the Conversations API, or unstored on one Responses
/// WebSocket, against resending the whole history through /v1/chat/completions (with the
/// prefix cache off, as a server without saved states re-prefills; on with the prompts' boundaries only; and on with
/// the states answers finished with, the default). Runs the served model (default: the demo
/// model) and random weights of mamba-130m's shape with the demo tokenizer.
/// </summary>
public static class ConversationBenchCommand
{
    public static Command Create(Option<string?> modelOption, Option<string?> deviceOption)
    {
        var turns = new Option<int>("--turns") { Description = "Turns of the conversation.", DefaultValueFactory = _ => 50 };
        var outputTokens = new Option<int>("--output-tokens") { Description = "Tokens per answer.", DefaultValueFactory = _ => 24 };
        var skipRandom = new Option<bool>("--skip-130m") { Description = "Skip the random mamba-130m-shaped model." };
        // A GPU computes in bf16 by default, where a continued state and a re-prefilled history round differently and
        // greedy answers part at near ties; float32 shows whether they part for any other reason.
        var dtype = ModelDTypeNames.CreateOption();
        var command = new Command("conversation", "Time to first token per turn: previous_response_id or a conversation against resending the history.")
        {
            turns, outputTokens, skipRandom, dtype,
        };
        command.SetAction(async (parse, ct) =>
        {
            return await CliErrors.ReportingLoadFailures(parse, async () =>
            {
                var device = DeviceChoice.Parse(parse.GetValue(deviceOption));
                var compute = ModelDTypeNames.Parse(parse.GetValue(dtype)!);
                var modelDir = await ModelSource.ResolveAsync(parse.GetValue(modelOption), ct);
                var tokenizer = MambaTokenizer.TryLoad(modelDir) ?? throw new CheckpointException($"'{modelDir}' has no tokenizer.json: a conversation needs text.");
                var name = Path.GetFileName(modelDir.TrimEnd('/'));
                await RunAsync(name, options => ServedModel.Load(modelDir, name, options), device, compute, parse.GetValue(turns), parse.GetValue(outputTokens), ct);
                if (!parse.GetValue(skipRandom))
                {
                    var shape = RandomCheckpoint.Mamba130mShape;
                    var weights = new InMemoryWeightSource(shape, RandomCheckpoint.Create(shape, seed: 7));
                    const string random = "random-mamba-130m-shape";
                    await RunAsync(random, options => ServedModel.Load(weights, tokenizer, random, "random mamba-130m shape, seed 7", options), device,
                        compute, parse.GetValue(turns), parse.GetValue(outputTokens), ct);
                }

                return 0;
            });
        });
        return command;
    }

    private static async Task RunAsync(
        string name, Func<EngineOptions, ServedModel> load, DeviceKind device, ModelDType dtype, int turns, int outputTokens, CancellationToken ct)
    {
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160);
        AnsiConsole.MarkupLine(
            $"[bold]{Markup.Escape(name)}[/]: {turns} turns, {outputTokens} tokens per answer, greedy, dtype {dtype.ToString().ToLowerInvariant()}, through the HTTP server");
        List<ConversationTurn> responses, inConversation, onSocket, resent, promptsCached, cached;
        await using (var server = await BenchServer.StartAsync(() => load(Options(device, dtype, prefixCache: false, finishedStates: false))))
        {
            (responses, inConversation, onSocket, resent) = await ConversationBenchmark.RunAsync(server.Client, name, turns, outputTokens, withResponses: true, ct);
        }

        await using (var server = await BenchServer.StartAsync(() => load(Options(device, dtype, prefixCache: true, finishedStates: false))))
        {
            (_, _, _, promptsCached) = await ConversationBenchmark.RunAsync(server.Client, name, turns, outputTokens, withResponses: false, ct);
        }

        await using (var server = await BenchServer.StartAsync(() => load(Options(device, dtype, prefixCache: true, finishedStates: true))))
        {
            (_, _, _, cached) = await ConversationBenchmark.RunAsync(server.Client, name, turns, outputTokens, withResponses: false, ct);
        }

        Report(responses, inConversation, onSocket, resent, promptsCached, cached);
    }

    private static EngineOptions Options(DeviceKind device, ModelDType dtype, bool prefixCache, bool finishedStates) =>
        new(new SchedulerOptions { MaxRunningSequences = 4, PrefixCacheMaxBytes = prefixCache ? 256L << 20 : 0, PrefixCacheFinishedStates = finishedStates },
            new StatePoolOptions { SlotCount = 4 }, Device: device) { DType = dtype };

    private static void Report(
        List<ConversationTurn> responses, List<ConversationTurn> inConversation, List<ConversationTurn> onSocket, List<ConversationTurn> resent,
        List<ConversationTurn> promptsCached, List<ConversationTurn> cached)
    {
        var table = new Table().AddColumns(
            "turn", "responses TTFT ms", "cached tokens", "prefilled", "conversation TTFT ms", "prefilled", "socket TTFT ms", "prefilled",
            "chat resend TTFT ms", "prompt tokens", "chat + prompt prefixes TTFT ms", "prefilled", "chat + prefix cache TTFT ms", "prefilled");
        for (int t = 0; t < responses.Count; t++)
        {
            var (r, c, w) = (responses[t], inConversation[t], onSocket[t]);
            table.AddRow($"{t + 1}", $"{r.TtftMs:F1}", $"{r.CachedTokens}", $"{r.InputTokens - r.CachedTokens}", $"{c.TtftMs:F1}",
                $"{c.InputTokens - c.CachedTokens}", $"{w.TtftMs:F1}", $"{w.InputTokens - w.CachedTokens}", $"{resent[t].TtftMs:F1}",
                $"{resent[t].InputTokens}", $"{promptsCached[t].TtftMs:F1}", $"{promptsCached[t].InputTokens - promptsCached[t].CachedTokens}",
                $"{cached[t].TtftMs:F1}", $"{cached[t].InputTokens - cached[t].CachedTokens}");
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"answers identical to the resent conversation's: {Agreement(responses, resent)} (previous_response_id), " +
            $"{Agreement(inConversation, resent)} (conversation), {Agreement(onSocket, resent)} (WebSocket, unstored), " +
            $"{Agreement(cached, resent)} (chat on the prefix cache's states)");
        var continued = responses.Skip(1).Where(t => t.CachedTokens > 0).ToList();
        AnsiConsole.MarkupLine(
            $"continued from the saved state: {continued.Count}/{responses.Count - 1} turns after the first (the others prefilled " +
            "the whole conversation: the previous answer did not start with whitespace, so the chat template's space made it another text)");
        Ratio("responses (previous_response_id)", responses);
        if (continued.Count > 0 && continued.Count < responses.Count - 1)
        {
            Ratio("responses, continued turns only", [responses[0], .. continued]);
        }

        Ratio("responses in a conversation (Conversations API)", inConversation);
        Ratio("unstored responses on one WebSocket", onSocket);
        Ratio("chat, whole history resent", resent);
        Ratio("chat, whole history resent, prefix cache on (prompts' boundaries only)", promptsCached);
        Ratio("chat, whole history resent, prefix cache on (and the states answers end with: the default)", cached);
    }

    /// <summary>"same/all turns", and the first turn whose answer differs: after it the two histories differ too.</summary>
    private static string Agreement(List<ConversationTurn> turns, List<ConversationTurn> resent)
    {
        var same = turns.Zip(resent).Select(p => p.First.Text == p.Second.Text).ToList();
        int firstApart = same.IndexOf(false);
        return $"{same.Count(s => s)}/{turns.Count}" + (firstApart < 0 ? "" : $" (first apart: turn {firstApart + 1})");
    }

    private static void Ratio(string label, List<ConversationTurn> turns)
    {
        int k = Math.Min(5, turns.Count);
        double first = turns[..k].Average(t => t.TtftMs), last = turns[^k..].Average(t => t.TtftMs);
        AnsiConsole.MarkupLine(
            $"{Markup.Escape(label)}: turn {turns.Count} / turn 1 TTFT = [bold]{turns[^1].TtftMs / turns[0].TtftMs:F2}[/]; " +
            $"mean of the last {k} / first {k} = [bold]{last / first:F2}[/]");
    }
}
