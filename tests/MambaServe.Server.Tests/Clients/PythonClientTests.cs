using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;
using MambaServe.Server.Tests.OpenAi.Chat;

namespace MambaServe.Server.Tests.Clients;

/// <summary>
/// The official Python openai package (tests/clients/python/openai_client.py) against the demo model's server: a
/// completion, chat streamed and not, typed answers through <c>beta.chat.completions.parse</c> (a pydantic response
/// format and a pydantic function tool forced by name), a Responses turn continued by id through
/// <c>responses.stream</c>, <c>responses.parse</c>, and a bad request as <c>BadRequestError</c>. Debian 12 packages no
/// openai for Python; Debian 13 does (python3-openai 1.69), so CI installs it into the Debian 13 root it keeps for the
/// ROCm build and names that root in <c>MAMBASERVE_PYTHON_ROOT</c>; the script runs there under chroot (same network,
/// so the loopback server is reachable). Without that variable a host python3 whose openai has the Responses API runs
/// it; else the test is skipped.
/// </summary>
public sealed class PythonClientTests
{
    private static readonly string s_script = Path.Combine(AppContext.BaseDirectory, "clients", "python", "openai_client.py");

    [Fact]
    public async Task OpenAiPythonPackage_CompletionChatParseToolsResponsesAndAnError_WorkUnchanged()
    {
        var seen = await ClientScripts.OnDemoServerAsync(await RunnerForAsync());

        var chat = seen["chat"]!;
        Assert.False(string.IsNullOrEmpty((string?)chat["text"]));
        Assert.Equal(((string?)chat["text"], "length"), ((string?)chat["deltas"], (string?)chat["finish"]));
        Assert.Equal(8, (int)chat["usage"]!["completion_tokens"]!);
        Assert.Equal(0, (int)chat["usage"]!["prompt_tokens_details"]!["cached_tokens"]!);
        Assert.Equal(8, (int)seen["completion"]!["usage"]!["completion_tokens"]!);

        // The package's pydantic parsing: the response format and the forced tool's arguments held to the schemas it wrote.
        foreach (var typed in new[] { seen["parsed"]!, seen["typed"]! })
        {
            Assert.Equal(["sunny", "degrees"], typed.AsObject().Select(property => property.Key));
            Assert.Equal(System.Text.Json.JsonValueKind.Number, typed["degrees"]!.GetValueKind());
        }

        Assert.Equal(seen["parsed"]!.ToJsonString(), seen["typed"]!.ToJsonString());
        var call = seen["call"]!;
        Assert.Equal("get_weather", (string?)call["name"]);
        ToolChoiceTests.AssertWeather((string)call["arguments"]!);
        ToolChoiceTests.AssertWeather(call["parsed"]!.ToJsonString());

        // A turn continued by previous_response_id, streamed: it restored the first turn's context.
        var responses = seen["responses"]!;
        var firstUsage = responses["firstUsage"]!;
        Assert.False(string.IsNullOrEmpty((string?)responses["first"]));
        Assert.Equal(((string?)responses["second"], "completed"), ((string?)responses["deltas"], (string?)responses["status"]));
        Assert.StartsWith("resp_", (string?)responses["previous"], StringComparison.Ordinal);
        Assert.Equal((int)firstUsage["input_tokens"]! + (int)firstUsage["output_tokens"]! - 1, (int)responses["cached"]!);

        Assert.Equal((400, "max_tokens", "invalid_request_error"),
            ((int)seen["refused"]!["status"]!, (string?)seen["refused"]!["param"], (string?)seen["refused"]!["type"]));
    }

    /// <summary>How to run the script here: in the named Debian root under chroot, with the host's python3, or not at all (skipped).</summary>
    private static async Task<Func<string, Task<string>>> RunnerForAsync()
    {
        var limit = TimeSpan.FromMinutes(3);
        if (Environment.GetEnvironmentVariable("MAMBASERVE_PYTHON_ROOT") is { Length: > 0 } root)
        {
            // The script is copied into the root: chroot sees only what is under it.
            string folder = Path.Combine("tmp", $"mambaserve-python-client-{Guid.NewGuid():N}");
            Directory.CreateDirectory(Path.Combine(root, folder));
            File.Copy(s_script, Path.Combine(root, folder, "openai_client.py"));
            return async url =>
            {
                try
                {
                    return await ClientScripts.RunAsync("chroot", $"{root} python3 /{folder}/openai_client.py {url} {ClientScripts.Model}", AppContext.BaseDirectory, limit);
                }
                finally
                {
                    Directory.Delete(Path.Combine(root, folder), recursive: true);
                }
            };
        }

        if (!await HostPythonHasOpenAiAsync())
        {
            Assert.Skip("No python3 with the openai package (1.66 or later): set MAMBASERVE_PYTHON_ROOT to a Debian 13 root with python3-openai.");
        }

        return url => ClientScripts.RunAsync("python3", $"{s_script} {url} {ClientScripts.Model}", AppContext.BaseDirectory, limit);
    }

    private static async Task<bool> HostPythonHasOpenAiAsync()
    {
        if (!ClientScripts.OnPath("python3"))
        {
            return false;
        }

        try
        {
            // The Responses API arrived in openai 1.66.
            await ClientScripts.RunAsync("python3", "-c \"import openai; openai.OpenAI(api_key='x').responses\"", AppContext.BaseDirectory, TimeSpan.FromSeconds(30));
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return false;
        }
    }
}
