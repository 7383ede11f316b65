using System.Net.Http.Json;
using System.Text;
using MambaServe.Server.Health;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace MambaServe.Deploy.Tests.Infrastructure;

/// <summary>
/// The real server in process, serving the embedded demo model: the routes and metric names the deployment files
/// name are checked against what it answers, not against copies of them. Shared by the tests of a class.
/// </summary>
public sealed class RunningServer : IAsyncLifetime
{
    private readonly Factory _factory = new();

    public HttpClient Client { get; private set; } = null!;

    /// <summary>The metric families of a scrape taken after a completion and an aborted stream: name to type.</summary>
    public IReadOnlyDictionary<string, string> MetricFamilies { get; private set; } = new Dictionary<string, string>();

    public async ValueTask InitializeAsync()
    {
        Client = _factory.CreateClient();
        await PollAsync(async () => (await Client.GetAsync(HealthRoutes.Ready)).IsSuccessStatusCode, "the demo model to load");
        using (var completion = await Client.PostAsJsonAsync("/v1/completions", new { prompt = "The jury said", max_tokens = 4 }))
        {
            completion.EnsureSuccessStatusCode();
        }

        await AbortAStreamAsync();
        // Metrics land when a request ends; the abort counter once the engine saw the disconnect.
        await PollAsync(async () => (MetricFamilies = await ScrapeAsync()).ContainsKey("mambaserve_requests_aborted_total"),
            "the aborted stream to be counted");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _factory.DisposeAsync();
    }

    private async Task AbortAStreamAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent("""{"prompt":"Once","max_tokens":4000,"ignore_eos":true,"stream":true}""", Encoding.UTF8, "application/json"),
        };
        using var cts = new CancellationTokenSource();
        var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        var stream = await response.Content.ReadAsStreamAsync(cts.Token);
        await stream.ReadExactlyAsync(new byte[16], cts.Token);
        await cts.CancelAsync();
        response.Dispose();
        await stream.DisposeAsync();
    }

    private async Task<Dictionary<string, string>> ScrapeAsync()
    {
        var text = await Client.GetStringAsync(HealthRoutes.Metrics);
        return text.Split('\n')
            .Where(line => line.StartsWith("# TYPE ", StringComparison.Ordinal))
            .Select(line => line.Split(' '))
            .ToDictionary(parts => parts[2], parts => parts[3]);
    }

    private static async Task PollAsync(Func<Task<bool>> done, string what)
    {
        for (int attempt = 0; attempt < 1200; attempt++)
        {
            if (await done())
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Gave up waiting for {what}.");
    }

    private sealed class Factory : WebApplicationFactory<Program>
    {
        // In-process servers have no ports: gRPC and REST share the one handler.
        protected override void ConfigureWebHost(IWebHostBuilder builder) =>
            builder.UseSetting("MambaServe:Server:RestrictGrpcToGrpcPort", "false");
    }
}
