using MambaServe.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;

namespace MambaServe.Server.Tests.Hosting;

/// <summary>A server listening beyond loopback without API keys says so at start.</summary>
public sealed class ExposureWarningTests
{
    [Theory]
    [InlineData("0.0.0.0", null, true)]
    [InlineData("*", null, true)]
    [InlineData("10.1.2.3", null, true)]
    [InlineData("0.0.0.0", "sk-key", false)]
    [InlineData("127.0.0.1", null, false)]
    [InlineData("::1", null, false)]
    [InlineData("localhost", null, false)]
    public async Task Start_HostAndKeys_WarnsOnlyWhenOpenBeyondLoopback(string host, string? key, bool warns)
    {
        var sink = new CollectingSink();
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:Host"] = host, ["MambaServe:Server:ApiKeys:0"] = key };
        var loader = new FakeModelLoader(new FakeServedModel("fake-model", DemoTokenizer.Instance, new FakeEngine(DemoTokenizer.Instance)));
        await using var factory = new ServerFactory(loader, settings) { TestServices = s => s.AddSingleton<ILogEventSink>(sink) };

        await factory.CreateReadyClientAsync();

        bool warned = sink.Events.Any(e => e.Level == LogEventLevel.Warning && e.RenderMessage().Contains("without API keys", StringComparison.Ordinal));
        Assert.Equal(warns, warned);
    }
}
