using System.Net;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi;

/// <summary>Fields the server does not honour are refused by name, never silently ignored.</summary>
public sealed class UnsupportedFieldsTests
{
    private const string Chat = "/v1/chat/completions";
    private const string Completions = "/v1/completions";

    [Theory]
    [InlineData(Chat, """{"tools":[{"type":"function","function":{"name":"f"}}]}""", "tool_choice")]
    [InlineData(Chat, """{"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"auto"}""", "tool_choice")]
    [InlineData(Chat, """{"functions":[{"name":"f"}]}""", "functions")]
    [InlineData(Chat, """{"function_call":"auto"}""", "function_call")]
    [InlineData(Completions, """{"best_of":2}""", "best_of")]
    [InlineData(Completions, """{"suffix":" the end"}""", "suffix")]
    [InlineData(Chat, """{"store":true}""", "store")]
    [InlineData(Chat, """{"modalities":["text","audio"]}""", "modalities")]
    [InlineData(Chat, """{"audio":{"voice":"alloy","format":"wav"}}""", "audio")]
    [InlineData(Chat, """{"prediction":{"type":"content","content":"x"}}""", "prediction")]
    [InlineData(Chat, """{"reasoning_effort":"low"}""", "reasoning_effort")]
    [InlineData(Chat, """{"verbosity":"low"}""", "verbosity")]
    [InlineData(Chat, """{"web_search_options":{}}""", "web_search_options")]
    public async Task Post_UnsupportedField_Returns400NamingIt(string path, string field, string param)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, path, Body(path, field));

        var error = await AssertRefusedAsync(response, param, "unsupported_parameter");
        Assert.Contains(param, (string?)error["message"], StringComparison.Ordinal);
        Assert.Contains("not supported", (string?)error["message"], StringComparison.Ordinal);
        Assert.Empty(engine.Requests);
    }

    [Theory]
    [InlineData(Chat, """{"response_format":{"type":"text"}}""")]
    [InlineData(Chat, """{"tools":[],"tool_choice":"none","parallel_tool_calls":false}""")]
    [InlineData(Chat, """{"functions":[],"function_call":"none"}""")]
    [InlineData(Chat, """{"store":false,"modalities":["text"],"metadata":{"k":"v"},"service_tier":"auto"}""")]
    [InlineData(Chat, """{"safety_identifier":"u-1","prompt_cache_key":"k","user":"u","audio":null,"reasoning_effort":null}""")]
    [InlineData(Chat, """{"prompt_cache_retention":"in-memory"}""")]
    [InlineData(Completions, """{"best_of":1,"suffix":"","user":"u"}""")]
    [InlineData(Completions, """{"suffix":null,"best_of":null,"response_format":null}""")]
    [InlineData(Completions, """{"top_k":5,"min_p":0.1,"repetition_penalty":1.1,"stop_token_ids":[7],"ignore_eos":true,"return_tokens_as_token_ids":false}""")]
    [InlineData(Chat, """{"top_k":5,"min_p":0.1,"repetition_penalty":1.1,"add_generation_prompt":true,"max_completion_tokens":3}""")]
    [InlineData(Chat, """{"continue_final_message":false,"chat_template_kwargs":{"enable_thinking":false},"chat_template":null,"request_id":"r-1"}""")]
    [InlineData(Completions, """{"request_id":"r-1"}""")]
    public async Task Post_ValueTheServerAlreadyHonours_Accepted(string path, string field)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, path, Body(path, field));

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(Completions, """{"max_token":3}""", "max_token", "max_tokens")]
    [InlineData(Completions, """{"maxTokens":3}""", "maxTokens", "max_tokens")]
    [InlineData(Completions, """{"temprature":0}""", "temprature", "temperature")]
    [InlineData(Completions, """{"messages":[]}""", "messages", null)]
    [InlineData(Chat, """{"prompt":"hi"}""", "prompt", null)]
    [InlineData(Chat, """{"mm_processor_kwargs":{}}""", "mm_processor_kwargs", null)]
    [InlineData(Completions, """{"kv_transfer_params":{}}""", "kv_transfer_params", null)]
    [InlineData(Chat, """{"echo":true}""", "echo", null)]
    [InlineData(Completions, """{"stream_options":{"include_usage":true,"chunk_size":4}}""", "stream_options.chunk_size", null)]
    [InlineData(Chat, """{"stream_options":{"heartbeat":true}}""", "stream_options.heartbeat", null)]
    public async Task Post_UnknownField_Returns400WithSuggestion(string path, string field, string param, string? suggestion)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, path, Body(path, field));

        var error = await AssertRefusedAsync(response, param, "unknown_parameter");
        var message = (string?)error["message"];
        Assert.StartsWith($"Unrecognized request argument supplied: {param}.", message, StringComparison.Ordinal);
        if (suggestion is null)
        {
            Assert.DoesNotContain("Did you mean", message, StringComparison.Ordinal);
        }
        else
        {
            Assert.EndsWith($"Did you mean `{suggestion}`?", message, StringComparison.Ordinal);
        }
    }

    // fields: a JSON object whose members are added to a valid request.
    private static string Body(string path, string fields) =>
        (path == Chat ? """{"messages":[{"role":"user","content":"hi"}],"max_tokens":2,""" : """{"prompt":"hi","max_tokens":2,""") + fields[1..];

    private static async Task<System.Text.Json.Nodes.JsonNode> AssertRefusedAsync(HttpResponseMessage response, string param, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var error = Json.Parse(text)["error"]!;
        Assert.Equal("invalid_request_error", (string?)error["type"]);
        Assert.Equal(param, (string?)error["param"]);
        Assert.Equal(code, (string?)error["code"]);
        return error;
    }
}
