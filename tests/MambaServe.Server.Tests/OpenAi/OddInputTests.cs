using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi;

/// <summary>Odd but possible client input: never a 5xx, always either a result or an OpenAI error body.</summary>
public sealed class OddInputTests
{
    [Theory]
    [InlineData("/v1/completions", """{"prompt":"hi","logit_bias":[]}""")]
    [InlineData("/v1/completions", """{"prompt":"hi","stream_options":5}""")]
    [InlineData("/v1/completions", """{"prompt":[[]]}""")]
    [InlineData("/v1/completions", """{"prompt":[[1],[]]}""")]
    [InlineData("/v1/completions", """{"prompt":[[1],"a"]}""")]
    [InlineData("/v1/completions", """{"prompt":[1e10]}""")]
    [InlineData("/v1/completions", """{"prompt":"hi","seed":1e30}""")]
    [InlineData("/v1/completions", """{"prompt":"hi","max_tokens":2147483647}""")]
    [InlineData("/v1/completions", """{"prompt":"hi","temperature":1e39}""")]
    [InlineData("/v1/completions", """{"prompt":"hi","stop":["", "x"]}""")]
    [InlineData("/v1/completions", """{"prompt":"hi","stop_token_ids":[-3]}""")]
    [InlineData("/v1/completions", """{"prompt":"hi","n":null,"logprobs":null,"echo":null,"stream":null}""")]
    [InlineData("/v1/completions", """{"prompt":"hi","echo":true,"max_tokens":0}""")]
    [InlineData("/v1/completions", """{"prompt":"<|endoftext|>","max_tokens":1}""")]
    [InlineData("/v1/completions", """{"prompt":"\u0000\uFFFF\uD83D\uDE00","max_tokens":1}""")]
    [InlineData("/v1/completions", """{"prompt":"hi","model":null}""")]
    [InlineData("/v1/completions", """{"prompt":"hi","model":""}""")]
    [InlineData("/v1/completions", """{"prompt":"hi","logprobs":0,"stream":true}""")]
    [InlineData("/v1/completions", """[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]""")]
    [InlineData("/v1/completions", "null")]
    [InlineData("/v1/completions", "\"text\"")]
    [InlineData("/v1/chat/completions", """{"messages":"hi"}""")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":5}]}""")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}""")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user"}],"max_tokens":2}""")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":99}""")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"max_completion_tokens":100000}""")]
    [InlineData("/tokenize", """{}""")]
    [InlineData("/detokenize", """{"tokens":[99999999]}""")]
    public async Task Post_OddInput_NeverAServerError(string path, string body)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, path, body);

        Assert.InRange((int)response.StatusCode, 200, 499);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            Assert.False(string.IsNullOrWhiteSpace((string?)Json.Parse(text)["error"]!["message"]));
        }
    }
}
