namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>
/// One real server process shared by the real-process tests (start-up costs seconds). Small limits keep any hostile
/// but valid request cheap to serve: max_tokens or n the fuzzer finds stay within 64 tokens and 8 choices. Since the
/// context stopped limiting generation (MaxGenerationTokens, issue 10), the cap on max_tokens has to be its own
/// setting: without it a fuzzed "max_tokens":39304 with ignore_eos streamed for over a minute under CI load and read
/// as a hang.
/// </summary>
public sealed class RealServerFixture : IAsyncLifetime
{
    private ServerProcess? _server;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public async ValueTask InitializeAsync() =>
        _server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["MambaServe:Model:MaxModelLen"] = "64",
            ["MambaServe:Model:MaxGenerationTokens"] = "64",
            ["MambaServe:Server:MaxChoices"] = "8",
        });

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
