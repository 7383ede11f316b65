using System.Net;
using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Hosting;

/// <summary>appsettings.json beside the binary applies whatever folder the server is started from.</summary>
public sealed class ContentRootTests
{
    [Fact]
    public async Task Start_FromAnotherFolder_ReadsAppsettingsBesideTheBinary()
    {
        using var copy = new ServerCopy();
        var key = $"sk-{Guid.NewGuid():N}";
        var settings = JsonNode.Parse(File.ReadAllText(Path.Combine(copy.Folder, "appsettings.json")))!;
        settings["MambaServe"]!["Server"]!["ApiKeys"] = new JsonArray(key);
        File.Delete(Path.Combine(copy.Folder, "appsettings.json"));
        File.WriteAllText(Path.Combine(copy.Folder, "appsettings.json"), settings.ToJsonString());
        var elsewhere = Directory.CreateTempSubdirectory("mambaserve-cwd-").FullName;

        await using var server = ServerProcess.Start(["--model", TestPaths.Fixture("tiny-a")], copy.ServerDll, elsewhere);
        var http = await server.WaitHealthyAsync(TestContext.Current.CancellationToken);
        using var without = await http.GetAsync("/v1/models");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models") { Headers = { { "Authorization", $"Bearer {key}" } } };
        using var with = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal(HttpStatusCode.OK, with.StatusCode);
    }
}
