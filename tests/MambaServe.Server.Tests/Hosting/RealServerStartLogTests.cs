using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Hosting;

/// <summary>The real process's start log says what the settings left to the server: the backend and the weights' type.</summary>
[Collection(RealServerCollection.Name)]
public sealed class RealServerStartLogTests(RealServerFixture fixture)
{
    [Fact]
    public async Task Start_DemoModelOnTheDefaults_LogsItsDeviceAndItsBf16Weights()
    {
        // The demo model stores bf16 matrices, which auto keeps as stored on the CPU. The line is written as health turns
        // ready and read from the process's output on another thread: poll (bounded).
        string? loaded = null;
        for (var i = 0; i < 200 && loaded is null; i++)
        {
            loaded = fixture.Server.Lines.SingleOrDefault(l => l.Contains("Model mamba-demo-5m loaded on ", StringComparison.Ordinal));
            if (loaded is null) await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.NotNull(loaded);
        Assert.Contains("loaded on cpu (", loaded, StringComparison.Ordinal);
        Assert.Contains("bf16 weights, fp32 state); serving", loaded, StringComparison.Ordinal);
    }
}
