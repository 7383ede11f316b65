using MambaServe.Engine.Backends;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Scheduling;
using MambaServe.Server.Cli;
using MambaServe.Server.Hosting;
using MambaServe.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace MambaServe.Server.Tests.Cli;

/// <summary>The serve command line: strict (unknown options are errors with a suggestion), familiar flags, honest help.</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData(new[] { "--prot", "9000" }, "--port")]
    [InlineData(new[] { "--max-token", "5" }, "--max-tokens (an option of `generate`)")]
    [InlineData(new[] { "generate", "--prompt", "x", "--max-token", "5" }, "--max-tokens")]
    [InlineData(new[] { "--served-model", "x" }, "--served-model-name")]
    [InlineData(new[] { "--api-keys", "x" }, "--api-key")]
    public async Task Run_UnknownOption_UsageErrorWithSuggestionAndNothingRuns(string[] args, string suggestion)
    {
        var (exit, error, served) = await RunAsync(args);

        Assert.Equal(CommandLine.UsageError, exit);
        Assert.Contains($"unknown option '{args[^2]}': did you mean {suggestion}?", error, StringComparison.Ordinal);
        Assert.Null(served);
    }

    [Theory]
    [InlineData("--port", "abc", "--port takes a whole number")]
    [InlineData("--max-num-seqs", "0", "--max-num-seqs takes a whole number")]
    [InlineData("--max-num-batched-tokens", "1", "--max-num-batched-tokens takes a whole number")]
    [InlineData("--trust-request-chat-template", "maybe", "maybe")]
    [InlineData("--dtype", "fp8", "fp8")]
    [InlineData("--device", "tpu", "tpu")]
    [InlineData("--tool-call-parser", "xml", "xml")]
    public async Task Run_InvalidValue_UsageErrorNamingIt(string option, string value, string message)
    {
        var (exit, error, served) = await RunAsync([option, value]);

        Assert.Equal(CommandLine.UsageError, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
        Assert.Null(served);
    }

    [Fact]
    public async Task Run_GenerateMinTokensAboveMaxTokens_RefusedBeforeAnyModelLoads()
    {
        var (exit, error, served) = await RunAsync(["generate", "--prompt", "x", "--max-tokens", "3", "--min-tokens", "5", "--model", "/nonexistent"]);

        Assert.Equal(CommandLine.UsageError, exit);
        Assert.Contains("error: min_tokens must be less than or equal to max_tokens (3), got 5", error, StringComparison.Ordinal);
        Assert.Null(served);
    }

    [Theory]
    [InlineData(new[] { "--json", "--regex", "a+" }, "give one output format, not --regex and --json")]
    [InlineData(new[] { "--grammar", "root ::= x" }, "the grammar cannot be enforced: rule `x` is used but not defined (line 1, column 10)")]
    [InlineData(new[] { "--json-schema", "{\"type\":\"array\",\"uniqueItems\":true}" }, "--json-schema cannot be enforced: #: `uniqueItems`")]
    [InlineData(new[] { "--json-schema", "{oops" }, "--json-schema is not valid JSON")]
    [InlineData(new[] { "--regex", "(a" }, "--regex cannot be enforced")]
    [InlineData(new[] { "--grammar-file", "/nonexistent/g.gbnf" }, "cannot read --grammar-file")]
    [InlineData(new[] { "--json", "--min-tokens", "2" }, "--min-tokens cannot go with an output format")]
    public async Task Run_GenerateWithAFormatItCannotTake_RefusedBeforeAnyModelLoads(string[] format, string message)
    {
        var (exit, error, served) = await RunAsync(["generate", "--prompt", "x", "--model", "/nonexistent", .. format]);

        Assert.Equal(CommandLine.UsageError, exit);
        Assert.Contains($"error: {message}", error, StringComparison.Ordinal);
        Assert.Null(served);
    }

    [Fact]
    public async Task Run_GenerateWithAGrammarFile_TheDemoModelWritesASentenceOfIt()
    {
        var file = Path.Combine(Path.GetTempPath(), $"msv-{Guid.NewGuid():N}.gbnf");
        await File.WriteAllTextAsync(file, "root ::= item (\", \" item){1,3} \".\"\nitem ::= [A-Z] [a-z]{1,8} | [0-9]{1,3}\n");
        try
        {
            var output = new StringWriter();
            var (exit, error, _) = await RunAsync(
                ["generate", "--model", TestPaths.DemoModel, "--device", "cpu", "--prompt", "Names:", "--grammar-file", file,
                 "--temperature", "0.8", "--seed", "5", "--max-tokens", "60"], output);

            Assert.True(exit == 0, error);
            Assert.Matches(@"^Names:([A-Z][a-z]{1,8}|[0-9]{1,3})(, ([A-Z][a-z]{1,8}|[0-9]{1,3})){1,3}\.\r?\n\z", output.ToString());
            Assert.Contains("[finish: stop", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    // The seed experiment's step budget (bench gpu): refused before the checkpoint is read or a device is looked for.
    [Fact]
    public async Task Run_BenchGpuSeedStepTokensZero_UsageErrorNamingIt()
    {
        var (exit, error, served) = await RunAsync(["bench", "gpu", "--checkpoint", "/nonexistent", "--seed-step-tokens", "0"]);

        Assert.Equal(CommandLine.UsageError, exit);
        Assert.Contains("--seed-step-tokens must be at least 1.", error, StringComparison.Ordinal);
        Assert.Null(served);
    }

    // The serving bench's sampling and state options and the sampler bench's sizes: refused before a model is loaded.
    [Theory]
    [InlineData(new[] { "bench", "serving", "--model", "/nonexistent", "--top-p", "0" }, "--top-p must be in (0, 1].")]
    [InlineData(new[] { "bench", "serving", "--model", "/nonexistent", "--temperature", "-1" }, "--temperature must be a number >= 0.")]
    [InlineData(new[] { "bench", "serving", "--model", "/nonexistent", "--state", "fp16" }, "Argument 'fp16' not recognized. Must be one of:")]
    [InlineData(new[] { "bench", "--dtype", "fp8" }, "Argument 'fp8' not recognized. Must be one of:")]
    [InlineData(new[] { "bench", "sampler", "--vocab", "8192", "1" }, "--vocab sizes must be at least 2.")]
    [InlineData(new[] { "bench", "sampler", "--tokens", "0" }, "--tokens must be at least 1.")]
    public async Task Run_BenchSamplingOptionOutOfRange_UsageErrorNamingIt(string[] args, string message)
    {
        var (exit, error, served) = await RunAsync(args);

        Assert.Equal(CommandLine.UsageError, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Null(served);
    }

    [Fact]
    public async Task Run_BenchConversationDTypeUnknown_UsageErrorNamingIt()
    {
        var (exit, error, served) = await RunAsync(["bench", "conversation", "--dtype", "fp8"]);

        Assert.Equal(CommandLine.UsageError, exit);
        Assert.Contains("Argument 'fp8' not recognized. Must be one of:", error, StringComparison.Ordinal);
        Assert.Null(served);
    }

    // The bench's in-process server used to poll /health for five minutes when the model could not load; the load's
    // own error now ends the command at once, as one line and exit code 1 (the CPU runner keeps no float16 weights).
    [Fact]
    public async Task Run_BenchConversationModelCannotLoad_FailsAtOnceWithTheLoadersError()
    {
        var (exit, error, served) = await RunAsync(["bench", "conversation", "--device", "cpu", "--dtype", "float16", "--turns", "1", "--skip-130m"])
            .WaitAsync(TimeSpan.FromSeconds(120));

        Assert.Equal(1, exit);
        Assert.StartsWith("error: dtype float16 is not supported by the CPU runner", error, StringComparison.Ordinal);
        Assert.Null(served);
    }

    [Fact]
    public async Task Run_StrayArgument_UsageError()
    {
        var (exit, error, served) = await RunAsync(["serve-please"]);

        Assert.Equal(CommandLine.UsageError, exit);
        Assert.Contains("unexpected argument 'serve-please'", error, StringComparison.Ordinal);
        Assert.Null(served);
    }

    [Fact]
    public async Task Run_ConfigurationOverrides_PassToTheHostInBothForms()
    {
        var (exit, _, served) = await RunAsync(["--MambaServe:Scheduler:PrefillChunkSize=128", "--MambaServe:Server:LogPrompts", "true", "--port", "9100"]);

        Assert.Equal(0, exit);
        Assert.Equal(["--MambaServe:Scheduler:PrefillChunkSize=128", "--MambaServe:Server:LogPrompts=true"], served!.ConfigurationArgs);
        Assert.Equal("9100", served.Overrides["MambaServe:Server:Port"]);
    }

    [Fact]
    public async Task Run_FamiliarFlags_BindTheirSettings()
    {
        var (exit, _, served) = await RunAsync(
            ["--max-model-len", "8192", "--api-key", "k1", "--api-key", "k2", "--max-num-seqs", "8", "--dtype", "float32",
             "--served-model-name", "my-model", "--model", "some/where", "--host", "0.0.0.0", "--device", "rocm",
             "--max-num-batched-tokens", "4096", "--trust-request-chat-template", "--enable-auto-tool-choice", "--tool-call-parser", "hermes"]);
        await using var app = ServerApp.Build(served!.ConfigurationArgs, served.Overrides);

        var model = app.Services.GetRequiredService<IOptions<ModelOptions>>().Value;
        var server = app.Services.GetRequiredService<IOptions<ServerOptions>>().Value;
        var scheduler = app.Services.GetRequiredService<IOptions<SchedulerOptions>>().Value;
        Assert.Equal(0, exit);
        Assert.Equal(8192, model.MaxModelLen);
        Assert.Equal(ModelDType.Float32, model.DType);
        Assert.Equal(DeviceKind.Rocm, model.Device);
        Assert.Equal("my-model", model.Name);
        Assert.Equal("some/where", model.Path);
        Assert.Equal(["k1", "k2"], server.ApiKeys);
        Assert.Equal("0.0.0.0", server.Host);
        Assert.Equal(8, scheduler.MaxRunningSequences);
        Assert.Equal(4096, scheduler.MaxBatchTokensPerStep);
        Assert.True(server.TrustRequestChatTemplate);
        Assert.True(server.AutoToolChoice);
        Assert.Equal("hermes", server.ToolCallParser);
    }

    [Theory]
    [InlineData(new string[0], false)]
    [InlineData(new[] { "--trust-request-chat-template" }, true)]
    [InlineData(new[] { "--trust-request-chat-template", "false", "--MambaServe:Server:TrustRequestChatTemplate=true" }, false)]
    [InlineData(new[] { "--MambaServe:Server:TrustRequestChatTemplate=true" }, true)]
    public async Task Run_TrustRequestChatTemplate_FlagWinsOverConfigurationAndAbsentLeavesIt(string[] args, bool trusted)
    {
        var (exit, _, served) = await RunAsync(args);
        await using var app = ServerApp.Build(served!.ConfigurationArgs, served.Overrides);

        Assert.Equal(0, exit);
        Assert.Equal(trusted, app.Services.GetRequiredService<IOptions<ServerOptions>>().Value.TrustRequestChatTemplate);
    }

    // A GPU fills in only the scheduler settings the deployment left out (GpuSchedulerDefaults): a flag and a
    // configuration key both count as given, and nothing else does.
    [Fact]
    public async Task Run_SchedulerSettingsGiven_NamesTheFlagsAndKeysGivenOnly()
    {
        var (_, _, served) = await RunAsync(["--max-num-seqs", "8", "--MambaServe:Scheduler:PrefillChunkSize=128", "--port", "9100"]);
        await using var app = ServerApp.Build(served!.ConfigurationArgs, served.Overrides);
        var given = app.Services.GetRequiredService<SchedulerSettingsGiven>();

        Assert.True(given.Contains(nameof(SchedulerOptions.MaxRunningSequences)));
        Assert.True(given.Contains(nameof(SchedulerOptions.PrefillChunkSize)));
        Assert.False(given.Contains(nameof(SchedulerOptions.MaxBatchTokensPerStep)));
        var limits = GpuSchedulerDefaults.Apply(app.Services.GetRequiredService<IOptions<SchedulerOptions>>().Value, DeviceKind.Cuda, given.Contains);
        Assert.Equal((8, GpuSchedulerDefaults.MaxBatchTokensPerStep, 128), (limits.MaxRunningSequences, limits.MaxBatchTokensPerStep, limits.PrefillChunkSize));
    }

    // The shipped appsettings.json gives no scheduler limit (a value there would count as given and keep a GPU at
    // the CPU's 64 sequences).
    [Fact]
    public async Task Run_NoSchedulerSetting_NoneGiven()
    {
        var (_, _, served) = await RunAsync(["--port", "9100"]);
        await using var app = ServerApp.Build(served!.ConfigurationArgs, served.Overrides);
        var given = app.Services.GetRequiredService<SchedulerSettingsGiven>();

        foreach (var name in new[]
                 {
                     nameof(SchedulerOptions.MaxRunningSequences), nameof(SchedulerOptions.MaxBatchTokensPerStep), nameof(SchedulerOptions.PrefillChunkSize),
                     nameof(SchedulerOptions.MaxWaitingRequests), nameof(SchedulerOptions.MaxWaitingPromptTokens),
                 })
        {
            Assert.False(given.Contains(name), name);
        }
    }

    [Fact]
    public async Task Run_ApiKeyOption_ReplacesConfiguredKeys()
    {
        var (_, _, served) = await RunAsync(
            ["--MambaServe:Server:ApiKeys:0=a", "--MambaServe:Server:ApiKeys:1=b", "--MambaServe:Server:ApiKeys:2=c", "--api-key", "only"]);
        await using var app = ServerApp.Build(served!.ConfigurationArgs, served.Overrides);

        Assert.Equal(["only"], app.Services.GetRequiredService<IOptions<ServerOptions>>().Value.ApiKeys);
    }

    [Fact]
    public async Task Help_EveryServeOption_ShownWithDefaultAndSetting()
    {
        var output = new StringWriter();

        var (exit, _, _) = await RunAsync(["--help"], output);

        var help = output.ToString();
        Assert.Equal(0, exit);
        Assert.Contains("--Section:Key=value", help, StringComparison.Ordinal);
        foreach (var setting in ServeSettings.Create())
        {
            var line = Assert.Single(help.Split('\n'), l => l.TrimStart().StartsWith(setting.Option.Name + " ", StringComparison.Ordinal));
            Assert.Contains("[default: ", line, StringComparison.Ordinal);
            Assert.Contains($"[setting: {setting.Key}]", line, StringComparison.Ordinal);
        }

        Assert.Equal(
            ["--model", "--served-model-name", "--max-model-len", "--dtype", "--device", "--max-num-seqs", "--max-num-batched-tokens", "--host", "--port",
             "--grpc-port", "--api-key", "--trust-request-chat-template", "--enable-auto-tool-choice", "--tool-call-parser"],
            ServeSettings.Create().Select(s => s.Option.Name));
    }

    [Fact]
    public void Slots_NoCountNorBudget_AtMostOnePerRunnableSequence()
    {
        var scheduler = new SchedulerOptions { MaxRunningSequences = 8 };

        Assert.Null(ServedModelLoader.Slots(new(), scheduler).SlotCount); // a GPU sizes its pool from free memory, up to the limit
        Assert.Equal(8, ServedModelLoader.Slots(new(), scheduler).SlotLimit);
        Assert.Equal(8, ServedModelLoader.Slots(new(), scheduler).ResolveSlotCount(RandomCheckpoint.Mamba130mShape));
        Assert.Equal(3, ServedModelLoader.Slots(new() { SlotCount = 3 }, scheduler).SlotCount);
        Assert.Null(ServedModelLoader.Slots(new() { MemoryBudgetBytes = 1 << 20 }, scheduler).SlotCount);
    }

    private static async Task<(int Exit, string Error, ServeRequest? Served)> RunAsync(string[] args, TextWriter? output = null)
    {
        ServeRequest? served = null;
        var error = new StringWriter();
        int exit = await CommandLine.RunAsync(args, (request, _) =>
        {
            served = request;
            return Task.FromResult(0);
        }, output ?? TextWriter.Null, error);
        return (exit, error.ToString(), served);
    }
}
