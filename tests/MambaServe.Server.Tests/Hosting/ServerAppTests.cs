using MambaServe.Engine.Scheduling;
using MambaServe.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace MambaServe.Server.Tests.Hosting;

public sealed class ServerAppTests
{
    [Fact]
    public async Task Build_CommandLineOverrides_WinOverOtherConfiguration()
    {
        int port = Random.Shared.Next(1024, 30000);
        await using var app = ServerApp.Build(
            ["--MambaServe:Server:Port=9", "--MambaServe:Server:GrpcPort=19", "--MambaServe:Scheduler:MaxRunningSequences=3"],
            new Dictionary<string, string?> { ["MambaServe:Server:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });

        var server = app.Services.GetRequiredService<IOptions<ServerOptions>>().Value;
        var scheduler = app.Services.GetRequiredService<IOptions<SchedulerOptions>>().Value;

        Assert.Equal(port, server.Port);
        Assert.Equal(19, server.GrpcPort);
        Assert.Equal(3, scheduler.MaxRunningSequences);
    }

    [Fact]
    public async Task Build_EnvironmentVariable_BindsTheSetting()
    {
        // MaxChoices: no other test depends on its exact value (others ask for at most 4 choices, or for 65).
        const string name = "MambaServe__Server__MaxChoices";
        int value = Random.Shared.Next(8, 60);
        Environment.SetEnvironmentVariable(name, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            await using var app = ServerApp.Build([]);

            Assert.Equal(value, app.Services.GetRequiredService<IOptions<ServerOptions>>().Value.MaxChoices);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public async Task Build_Defaults_MatchTheDocumentedPorts()
    {
        await using var app = ServerApp.Build([]);

        var server = app.Services.GetRequiredService<IOptions<ServerOptions>>().Value;
        var model = app.Services.GetRequiredService<IOptions<ModelOptions>>().Value;

        Assert.Equal(8000, server.Port);
        Assert.Equal(8001, server.GrpcPort);
        Assert.Equal(4096, model.MaxModelLen);
        Assert.Empty(server.ApiKeys);
        Assert.Equal("127.0.0.1", server.Host);
    }

    [Theory]
    [InlineData("00:00:10")]
    [InlineData("00:02:00")]
    public async Task Build_GracePeriod_HostShutdownTimeoutExceedsIt(string grace)
    {
        await using var app = ServerApp.Build([$"--MambaServe:Scheduler:ShutdownGracePeriod={grace}"]);

        var host = app.Services.GetRequiredService<IOptions<HostOptions>>().Value;

        Assert.True(host.ShutdownTimeout > TimeSpan.Parse(grace, System.Globalization.CultureInfo.InvariantCulture), $"{host.ShutdownTimeout}");
    }

    [Fact]
    public async Task Build_BlankApiKey_IsNotAKey()
    {
        await using var app = ServerApp.Build(["--MambaServe:Server:ApiKeys:0=", "--MambaServe:Server:ApiKeys:1=k"]);

        Assert.Equal(["k"], app.Services.GetRequiredService<IOptions<ServerOptions>>().Value.ApiKeys);
    }

    [Theory]
    [InlineData("MambaServe:Model:MaxModelLen", "0")]
    [InlineData("MambaServe:Server:Port", "70000")]
    [InlineData("MambaServe:Server:Port", "8001")]
    [InlineData("MambaServe:Server:Host", "not an address")]
    [InlineData("MambaServe:Scheduler:MaxRunningSequences", "0")]
    [InlineData("MambaServe:StatePool:SlotCount", "0")]
    [InlineData("MambaServe:Server:ToolCallParser", "xml")]
    public async Task Start_InvalidSetting_FailsBeforeServing(string key, string value)
    {
        // Validation fails before any listener binds or the model loads: at build time for the Kestrel settings (the
        // server is created with the app), at start for the rest.
        await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            var app = ServerApp.Build([$"--{key}={value}"]);
            try
            {
                await app.StartAsync();
            }
            finally
            {
                await DisposeQuietlyAsync(app);
            }
        });
    }

    [Theory]
    [InlineData("MambaServe:Scheduler:MaxBatchTokensPerStep", "10", "MambaServe:Scheduler:MaxBatchTokensPerStep is 10: must be more than MaxRunningSequences (64)")]
    [InlineData("MambaServe:Scheduler:PrefixCacheInterval", "0", "MambaServe:Scheduler:PrefixCacheInterval is 0: ")]
    [InlineData("MambaServe:StateStore:MaxDiskBytes", "-1", "MambaServe:StateStore:MaxDiskBytes is -1: Must be 0 or more.")]
    [InlineData("MambaServe:Server:ToolCallParser", "Hermes", "MambaServe:Server:ToolCallParser (--tool-call-parser) must be hermes, llama3_json or pythonic.")]
    [InlineData("MambaServe:Server:EnableAutoToolChoice", "true", "MambaServe:Server:EnableAutoToolChoice (--enable-auto-tool-choice) needs ToolCallParser (--tool-call-parser hermes, llama3_json or pythonic)")]
    public async Task Start_InvalidEngineSetting_FailureNamesTheSettingItsValueAndTheRule(string key, string value, string message)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            var app = ServerApp.Build([$"--{key}={value}"]);
            try
            {
                await app.StartAsync();
            }
            finally
            {
                await DisposeQuietlyAsync(app);
            }
        });

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith(message, failure, StringComparison.Ordinal);
        Assert.DoesNotContain("Parameter '", failure, StringComparison.Ordinal);
    }

    private static async Task DisposeQuietlyAsync(Microsoft.AspNetCore.Builder.WebApplication app)
    {
        try
        {
            await app.DisposeAsync();
        }
        catch (OptionsValidationException)
        {
            // Disposing resolves the never-started server, which reads the same invalid options.
        }
    }
}
