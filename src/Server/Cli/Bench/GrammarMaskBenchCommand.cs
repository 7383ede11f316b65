using System.CommandLine;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Structured;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Server.Cli.Bench;

/// <summary>
/// `bench grammar-masks`: what a structured output's token masks cost on this host, per new grammar state and per
/// cached lookup, over the model's vocabulary grown by <c>--random-pieces</c> (default: to about 50k, a
/// GPT-NeoX-sized vocabulary, from the demo model's 8k).
/// </summary>
public static class GrammarMaskBenchCommand
{
    public static Command Create(Option<string?> modelOption)
    {
        var randomPieces = new Option<int>("--random-pieces")
        {
            Description = "Random 2-8 byte pieces added to the model's vocabulary.",
            DefaultValueFactory = _ => 42_000,
        };
        var format = new Option<string>("--format")
        {
            Description = "The grammar over the bench's JSON document: json-schema (the JSON automaton with a schema), json-object (JSON mode) or gbnf (a JSON grammar in GBNF).",
            DefaultValueFactory = _ => "json-schema",
        };
        format.AcceptOnlyFromAmong("json-schema", "json-object", "gbnf");
        var command = new Command("grammar-masks", "Measure the cost of a structured output's token masks.") { randomPieces, format };
        command.SetAction(async (parse, ct) =>
        {
            return await CliErrors.ReportingLoadFailures(parse, async () =>
            {
                var modelDir = await ModelSource.ResolveAsync(parse.GetValue(modelOption), ct);
                var tokenizer = MambaTokenizer.TryLoad(modelDir)
                    ?? throw new InvalidOperationException($"No tokenizer.json in {modelDir}.");
                var r = GrammarMaskBench.Run(tokenizer, parse.GetValue(randomPieces), parse.GetValue(format)!);
                Console.WriteLine($"vocabulary {r.Vocabulary} (prefix tree built once in {r.VocabularyBuild.TotalMilliseconds:F1} ms), " +
                                  $"{r.DistinctStates} distinct of {r.States} states, " +
                                  $"{Environment.ProcessorCount} cores: {r.PerNewState.TotalMilliseconds:F2} ms per new state, " +
                                  $"{r.PerCachedLookup.TotalMicroseconds:F2} µs per cached lookup");
                return 0;
            }, argumentErrorsToo: true);
        });
        return command;
    }
}
