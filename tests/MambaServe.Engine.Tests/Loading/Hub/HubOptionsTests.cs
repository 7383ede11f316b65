using MambaServe.Engine.Loading.Hub;

namespace MambaServe.Engine.Tests.Loading.Hub;

public sealed class HubOptionsTests
{
    [Fact]
    public void FromEnvironment_HubCacheSet_WinsOverHfHome()
    {
        var options = HubOptions.FromEnvironment(Env(("HF_HUB_CACHE", "/x/cache"), ("HF_HOME", "/x/home"), ("HOME", "/h")));

        Assert.Equal("/x/cache", options.CacheDirectory);
    }

    [Fact]
    public void FromEnvironment_OnlyHfHome_UsesItsHubFolder()
    {
        var options = HubOptions.FromEnvironment(Env(("HF_HOME", "/x/home"), ("HOME", "/h")));

        Assert.Equal(Path.Combine("/x/home", "hub"), options.CacheDirectory);
    }

    [Fact]
    public void FromEnvironment_Nothing_UsesUserCacheAndDefaultEndpoint()
    {
        var home = $"/home/u{Random.Shared.Next()}";

        var options = HubOptions.FromEnvironment(Env(("HOME", home)));

        Assert.Equal(Path.Combine(home, ".cache", "huggingface", "hub"), options.CacheDirectory);
        Assert.Equal(HubOptions.DefaultEndpoint, options.Endpoint);
        Assert.Null(options.Token);
        Assert.False(options.Offline);
        Assert.Equal("main", options.Revision);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("true", true)]
    [InlineData("YES", true)]
    [InlineData("0", false)]
    [InlineData("false", false)]
    public void FromEnvironment_HfHubOffline_ParsedLikeHuggingfaceHub(string value, bool offline)
    {
        Assert.Equal(offline, HubOptions.FromEnvironment(Env(("HF_HUB_OFFLINE", value), ("HOME", "/h"))).Offline);
    }

    [Fact]
    public void FromEnvironment_EndpointAndToken_AreRead()
    {
        var token = $"hf_{Guid.NewGuid():N}";

        var options = HubOptions.FromEnvironment(Env(("HF_ENDPOINT", "http://mirror.local:8080/"), ("HF_TOKEN", token), ("HOME", "/h")));

        Assert.Equal(new Uri("http://mirror.local:8080"), options.Endpoint);
        Assert.Equal(token, options.Token);
    }

    [Fact]
    public void FromEnvironment_TokenFileUnderHfHome_IsUsedWhenNoVariable()
    {
        using var home = new TempDirectory();
        var token = $"hf_{Guid.NewGuid():N}";
        File.WriteAllText(home.File("token"), token + "\n");

        var options = HubOptions.FromEnvironment(Env(("HF_HOME", home.Path)));

        Assert.Equal(token, options.Token);
    }

    private static Dictionary<string, string?> Env(params (string Key, string Value)[] values) =>
        values.ToDictionary(v => v.Key, v => (string?)v.Value);
}
