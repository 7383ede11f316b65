using System.CommandLine;
using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Server.Cli;

/// <summary>`generate`: one completion from the command line, streamed to stdout as tokens are produced.</summary>
public static class GenerateCommand
{
    public static Command Create(Option<string?> modelOption, Option<string?> deviceOption)
    {
        var prompt = new Option<string>("--prompt") { Description = "Prompt text.", Required = true };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens to generate at most.", DefaultValueFactory = _ => 64 };
        var minTokens = new Option<int>("--min-tokens") { Description = "Tokens to generate before EOS or a stop string can end the text." };
        var temperature = new Option<float>("--temperature") { Description = "0 is greedy.", DefaultValueFactory = _ => 1f };
        var topP = new Option<float>("--top-p") { DefaultValueFactory = _ => 1f };
        var topK = new Option<int>("--top-k") { Description = "0 disables." };
        var minP = new Option<float>("--min-p");
        var repetition = new Option<float>("--repetition-penalty") { DefaultValueFactory = _ => 1f };
        var seed = new Option<long?>("--seed") { Description = "Same seed, same output." };
        var stop = new Option<string[]>("--stop") { Description = "Stop strings (repeatable).", AllowMultipleArgumentsPerToken = true };
        var format = new GenerateFormat();
        var command = new Command("generate", "Generate a completion and stream it to stdout.")
        {
            prompt, maxTokens, minTokens, temperature, topP, topK, minP, repetition, seed, stop,
        };
        foreach (var option in format.Options)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, ct) =>
        {
            var sampling = new SamplingParams
            {
                MaxTokens = parse.GetValue(maxTokens), MinTokens = parse.GetValue(minTokens), Temperature = parse.GetValue(temperature), TopP = parse.GetValue(topP),
                TopK = parse.GetValue(topK), MinP = parse.GetValue(minP), RepetitionPenalty = parse.GetValue(repetition),
                Seed = parse.GetValue(seed), Stop = parse.GetValue(stop) ?? [],
            };
            Func<MambaTokenizer, ITokenConstraintFactory>? constraint;
            try
            {
                SamplingParamsValidator.Validate(sampling);
                constraint = format.Compile(parse);
                if (constraint is not null && sampling.MinTokens > 0)
                {
                    throw new ArgumentException("--min-tokens cannot go with an output format: it would ban the EOS that ends it");
                }
            }
            catch (ArgumentException e)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {e.Message}");
                return 2;
            }
            return await CliErrors.ReportingLoadFailures(parse, async () =>
            {
                var modelDir = await ModelSource.ResolveAsync(parse.GetValue(modelOption), ct);
                var options = EngineOptions.Default with { Device = DeviceChoice.Parse(parse.GetValue(deviceOption)) };
                var run = new GenerateRun(parse.GetValue(prompt)!, sampling, constraint, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
                return await RunAsync(modelDir, run, options, ct);
            });
        });
        return command;
    }

    /// <summary>What one `generate` asks for, and where its text (stdout) and its summary line (stderr) go.</summary>
    private sealed record GenerateRun(
        string Prompt, SamplingParams Sampling, Func<MambaTokenizer, ITokenConstraintFactory>? Constraint, TextWriter Output, TextWriter Error);

    private static async Task<int> RunAsync(string modelDir, GenerateRun run, EngineOptions options, CancellationToken ct)
    {
        await using var model = ServedModel.Load(modelDir, Path.GetFileName(modelDir.TrimEnd('/')), options);
        if (model.Tokenizer is null)
        {
            await run.Error.WriteLineAsync($"error: {modelDir} has no tokenizer.json, so it cannot take a text prompt.");
            return 2;
        }

        if (run.Constraint is not null && model.Tokenizer.EosTokenId is null)
        {
            await run.Error.WriteLineAsync($"error: {modelDir} has no EOS token, which an output format needs to end.");
            return 2;
        }

        var request = new GenerationRequest($"cli-{Guid.NewGuid():N}", model.Tokenizer.Encode(run.Prompt), run.Sampling)
        {
            Constraint = run.Constraint?.Invoke(model.Tokenizer),
        };
        var stdout = run.Output;
        await stdout.WriteAsync(run.Prompt);
        FinishReason? finish = null;
        GenerationUsage? usage = null;
        await foreach (var update in model.Engine.GenerateAsync(request, ct))
        {
            await stdout.WriteAsync(update.TextDelta);
            await stdout.FlushAsync(ct);
            finish = update.Finish ?? finish;
            usage = update.Usage ?? usage;
        }
        await stdout.WriteLineAsync();
        await run.Error.WriteLineAsync($"[finish: {finish?.ToString().ToLowerInvariant()}, prompt tokens: {usage?.PromptTokens}, completion tokens: {usage?.CompletionTokens}]");
        return 0;
    }
}
