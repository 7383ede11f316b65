using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi;

/// <summary>Input a client can send that the server must refuse with a 4xx naming the field, never a 5xx.</summary>
public sealed class BadInputTests
{
    [Theory]
    [InlineData("/v1/completions", """{"prompt":"\ud800","max_tokens":4}""", "prompt")]
    [InlineData("/v1/completions", """{"prompt":"x\ud800y","max_tokens":4}""", "prompt")]
    [InlineData("/v1/completions", """{"prompt":"\udfff","max_tokens":4}""", "prompt")]
    [InlineData("/v1/completions", """{"prompt":["ok","\udc00\ud800"],"max_tokens":4}""", "prompt[1]")]
    [InlineData("/v1/completions", """{"prompt":"ok","stop":["\ud83d"],"max_tokens":4}""", "stop[0]")]
    [InlineData("/v1/completions", """{"prompt":"ok","model":"\ud800"}""", "model")]
    [InlineData("/v1/completions", """{"prompt":"ok","user":"\ud800"}""", "user")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"\ud800"}],"max_tokens":4}""", "messages[0].content")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":[{"type":"text","text":"a\udfffb"}]}]}""", "messages[0].content[0].text")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"\ud800","content":"hi"}]}""", "messages[0].role")]
    [InlineData("/tokenize", """{"prompt":"\ud800"}""", "prompt")]
    public async Task Post_LoneSurrogate_Returns400NamingTheField(string path, string body, string param)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, path, body);

        var error = await AssertBadRequestAsync(response, param);
        Assert.Contains("surrogate", (string?)error["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_InvalidUtf8Bytes_Returns400NamingTheField()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        byte[] body = [.. "{\"prompt\":\"a"u8, 0xFF, 0xC3, .. "b\",\"max_tokens\":2}"u8];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        using var response = await client.PostAsync("/v1/completions", content);

        var error = await AssertBadRequestAsync(response, "prompt");
        Assert.Contains("UTF-8", (string?)error["message"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"},null],"max_tokens":4}""", "messages[1]", "messages[1] must be an object, not null.")]
    [InlineData("/v1/chat/completions", """{"messages":[null]}""", "messages[0]", "messages[0] must be an object, not null.")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":[null]}]}""", "messages[0].content[0]", "messages[0].content[0] must not be null.")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":null,"content":"hi"}]}""", "messages[0].role", null)]
    [InlineData("/v1/completions", """{"prompt":["a",null]}""", "prompt[1]", "prompt[1] must not be null.")]
    [InlineData("/v1/completions", """{"prompt":[[1,2],null]}""", "prompt[1]", null)]
    [InlineData("/v1/completions", """{"prompt":"hi","stop":["a",null]}""", "stop[1]", "stop[1] must be a string, not null.")]
    [InlineData("/v1/completions", """{"prompt":"hi","stop_token_ids":[1,null]}""", "stop_token_ids[1]", "stop_token_ids[1] must be an integer, not null.")]
    [InlineData("/v1/completions", """{"prompt":"hi","logit_bias":{"5":null}}""", "logit_bias.5", "logit_bias.5 must be a number, not null.")]
    [InlineData("/detokenize", """{"tokens":[1,null]}""", "tokens[1]", "tokens[1] must be an integer, not null.")]
    public async Task Post_NullWhereAValueBelongs_Returns400NamingTheItem(string path, string body, string param, string? message)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, path, body);

        var error = await AssertBadRequestAsync(response, param);
        if (message is not null)
        {
            Assert.Equal(message, (string?)error["message"]);
        }
    }

    [Theory]
    [InlineData("""{"prompt":"hi","temperature":"hot"}""", "temperature", "temperature must be a number, not a string.")]
    [InlineData("""{"prompt":"hi","temperature":true}""", "temperature", "temperature must be a number, not a boolean.")]
    [InlineData("""{"prompt":"hi","temperature":1e39}""", "temperature", "temperature must be a finite number (at most 3.4e38 in magnitude).")]
    [InlineData("""{"prompt":"hi","max_tokens":"5"}""", "max_tokens", "max_tokens must be an integer, not a string.")]
    [InlineData("""{"prompt":"hi","max_tokens":1.5}""", "max_tokens", "max_tokens must be a whole number.")]
    [InlineData("""{"prompt":"hi","max_tokens":1e40}""", "max_tokens", "max_tokens must be an integer from -2147483648 to 2147483647.")]
    [InlineData("""{"prompt":"hi","n":99999999999}""", "n", "n must be an integer from -2147483648 to 2147483647.")]
    [InlineData("""{"prompt":"hi","seed":1e30}""", "seed", "seed must be an integer from -9223372036854775808 to 9223372036854775807.")]
    [InlineData("""{"prompt":"hi","echo":"yes"}""", "echo", "echo must be a boolean, not a string.")]
    [InlineData("""{"prompt":"hi","stop":7}""", "stop", "stop must be a string or an array of strings.")]
    [InlineData("""{"prompt":"hi","stop_token_ids":"1"}""", "stop_token_ids", "stop_token_ids must be an array of integers, not a string.")]
    [InlineData("""{"prompt":"hi","logit_bias":[1]}""", "logit_bias", "logit_bias must be an object whose values are numbers, not an array.")]
    [InlineData("""{"prompt":"hi","logit_bias":{"5":"x"}}""", "logit_bias.5", "logit_bias.5 must be a number, not a string.")]
    [InlineData("""{"prompt":"hi","stream_options":5}""", "stream_options", "stream_options must be an object, not a number.")]
    [InlineData("""{"prompt":"hi","stream_options":{"include_usage":"yes"}}""", "stream_options.include_usage", "stream_options.include_usage must be a boolean, not a string.")]
    [InlineData("""{"prompt":"hi","model":5}""", "model", "model must be a string, not a number.")]
    public async Task Completions_WrongType_SaysFieldAndTypeInPlainWords(string body, string param, string message)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/completions", body);

        var error = await AssertBadRequestAsync(response, param);
        Assert.Equal(message, (string?)error["message"]);
    }

    [Theory]
    [InlineData("/v1/completions", "[1,2]", "The request body must be a JSON object, not an array.")]
    [InlineData("/v1/completions", "\"text\"", "The request body must be a JSON object, not a string.")]
    [InlineData("/v1/completions", "null", "The request body must be a JSON object, not null.")]
    [InlineData("/v1/chat/completions", """{"messages":{"role":"user"}}""", "messages must be an array of objects, not an object.")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"logprobs":1}""", "logprobs must be a boolean, not a number.")]
    [InlineData("/detokenize", """{"tokens":"1 2"}""", "tokens must be an array of integers, not a string.")]
    public async Task Post_WrongShape_NoDotNetTypeNames(string path, string body, string message)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, path, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = (string?)(await Json.ReadAsync(response))["error"]!["message"];
        Assert.Equal(message, text);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task Completions_NotJsonContentType_Returns415(string contentType)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        using var content = new StringContent("""{"prompt":"hi","max_tokens":1}""", Encoding.UTF8);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);

        using var response = await client.PostAsync("/v1/completions", content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("unsupported_media_type", (string?)(await Json.ReadAsync(response))["error"]!["code"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/vnd.api+json")]
    public async Task Completions_JsonOrNoContentType_Accepted(string? contentType)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        using var content = new ByteArrayContent("""{"prompt":"hi","max_tokens":1}"""u8.ToArray());
        content.Headers.ContentType = contentType is null ? null : System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);

        using var response = await client.PostAsync("/v1/completions", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<JsonNode> AssertBadRequestAsync(HttpResponseMessage response, string param)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var error = Json.Parse(text)["error"]!;
        Assert.Equal("invalid_request_error", (string?)error["type"]);
        Assert.Equal(param, (string?)error["param"]);
        var message = (string?)error["message"];
        Assert.False(string.IsNullOrWhiteSpace(message));
        Assert.DoesNotContain("System.", message, StringComparison.Ordinal);
        return error;
    }
}
