using MambaServe.Engine.Tokenization;
using MambaServe.Server.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>
/// The whole server in process (TestServer). gRPC is reached through the same handler, so the gRPC port restriction
/// is off. <paramref name="loader"/> replaces the model loader (null keeps the real one, driven by <paramref name="settings"/>).
/// </summary>
public sealed class ServerFactory(IModelLoader? loader, IReadOnlyDictionary<string, string?>? settings = null) : WebApplicationFactory<Program>
{
    public static ServerFactory WithFake(FakeEngine engine, MambaTokenizer? tokenizer = null, string name = "fake-model", IReadOnlyDictionary<string, string?>? settings = null) =>
        new(new FakeModelLoader(new FakeServedModel(name, tokenizer, engine)), settings);

    /// <summary>The real engine on the demo model: one thread, <paramref name="slots"/> slots and running sequences, plus <paramref name="extra"/> settings.</summary>
    public static ServerFactory WithDemoModel(int slots = 8, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["MambaServe:Model:Path"] = TestPaths.DemoModel,
            ["MambaServe:Model:Threads"] = "1",
            ["MambaServe:StatePool:SlotCount"] = slots.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MambaServe:Scheduler:MaxRunningSequences"] = slots.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return new ServerFactory(null, settings);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("MambaServe:Server:RestrictGrpcToGrpcPort", "false");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            if (loader is not null)
            {
                services.AddSingleton(loader);
            }

            TestServices?.Invoke(services);
        });
    }

    /// <summary>Extra service registrations (e.g. a log sink), applied after the server's own.</summary>
    public Action<IServiceCollection>? TestServices { get; init; }

    /// <summary>A client once /health says the model is loaded.</summary>
    public async Task<HttpClient> CreateReadyClientAsync()
    {
        var client = CreateClient();
        for (int attempt = 0; attempt < 600; attempt++)
        {
            using var response = await client.GetAsync("/health");
            if (response.IsSuccessStatusCode)
            {
                return client;
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException("The model did not load.");
    }
}
