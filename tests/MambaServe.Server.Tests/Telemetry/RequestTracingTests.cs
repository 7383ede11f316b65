using System.Collections.Concurrent;
using System.Diagnostics;
using MambaServe.Server.Telemetry;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Telemetry;

public sealed class RequestTracingTests
{
    [Fact]
    public async Task Completion_Traced_RequestSpanWithQueuePrefillAndDecodeChildren()
    {
        var stopped = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ServerTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Add,
        };
        ActivitySource.AddActivityListener(listener);
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/completions", new { prompt = "Hello", max_tokens = 3 });
        var id = (string?)(await Json.ReadAsync(response))["id"];

        var root = Assert.Single(stopped, a => (string?)a.GetTagItem("mambaserve.request_id") == id);
        var children = stopped.Where(a => a.ParentSpanId == root.SpanId).Select(a => a.DisplayName).Order().ToList();
        Assert.Equal(["decode", "queue+prefill"], children);
        Assert.Equal(3, root.GetTagItem("gen_ai.usage.output_tokens"));
    }
}
