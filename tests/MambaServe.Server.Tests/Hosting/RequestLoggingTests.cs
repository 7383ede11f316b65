using MambaServe.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;

namespace MambaServe.Server.Tests.Hosting;

public sealed class RequestLoggingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Completion_Logged_StructuredFieldsAndPromptOnlyWhenEnabled(bool logPrompts)
    {
        var sink = new CollectingSink();
        var engine = new FakeEngine(DemoTokenizer.Instance);
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:LogPrompts"] = logPrompts ? "true" : "false" };
        var loader = new FakeModelLoader(new FakeServedModel("fake-model", DemoTokenizer.Instance, engine));
        await using var factory = new ServerFactory(loader, settings) { TestServices = s => s.AddSingleton<ILogEventSink>(sink) };
        var http = await factory.CreateReadyClientAsync();
        var secret = $"secret prompt {Guid.NewGuid():N}";

        using var response = await Json.PostAsync(http, "/v1/completions", new { prompt = secret, max_tokens = 3 });
        var body = await Json.ReadAsync(response);
        Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
        var id = (string?)body["id"];

        // The run logs when it is disposed, just after the response is written: wait for it (bounded).
        bool IsDone(LogEvent e) => e.Properties.TryGetValue("RequestId", out var r) && Scalar(r) as string == id && e.Properties.ContainsKey("CompletionTokens");
        for (int i = 0; i < 400 && !sink.Events.Any(IsDone); i++)
        {
            await Task.Delay(25);
        }

        var done = Assert.Single(sink.Events, IsDone);
        Assert.Equal("fake-model", Scalar(done.Properties["Model"]));
        Assert.Equal(DemoTokenizer.Instance.Encode(secret).Count, Scalar(done.Properties["PromptTokens"]));
        Assert.Equal(3, Scalar(done.Properties["CompletionTokens"]));
        Assert.Equal("length", Scalar(done.Properties["FinishReason"]));
        Assert.True(done.Properties.ContainsKey("DurationMs"));
        bool promptLogged = sink.Events.Any(e => e.RenderMessage().Contains(secret, StringComparison.Ordinal));
        Assert.Equal(logPrompts, promptLogged);
    }

    [Fact]
    public async Task Shutdown_DisposesTheServedModel()
    {
        var model = new FakeServedModel("fake-model", DemoTokenizer.Instance, new FakeEngine(DemoTokenizer.Instance));
        var factory = new ServerFactory(new FakeModelLoader(model));
        await factory.CreateReadyClientAsync();

        await factory.DisposeAsync();

        Assert.True(model.Disposed);
    }

    private static object? Scalar(LogEventPropertyValue value) => (value as ScalarValue)?.Value;
}
