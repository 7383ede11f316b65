using System.Net;
using System.Text.Json.Nodes;
using MambaServe.Engine.Tokenization;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi;

/// <summary>
/// vLLM's extra request fields over HTTP against the scripted engine: the honoured ones reach the engine, the neutral
/// values of the refused ones are served, anything else is a 400 naming the field and saying why.
/// </summary>
public sealed class VllmFieldsTests
{
    private const string Completions = "/v1/completions";
    private const string Chat = "/v1/chat/completions";
    private const string CompletionBase = "\"prompt\":\"Hi\",\"max_tokens\":4";
    private const string ChatBase = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":4";

    [Theory]
    [InlineData(Completions, CompletionBase, "\"include_stop_str_in_output\":true", true)]
    [InlineData(Completions, CompletionBase, "\"include_stop_str_in_output\":false", false)]
    [InlineData(Completions, CompletionBase, "\"include_stop_str_in_output\":null", false)]
    [InlineData(Chat, ChatBase, "\"include_stop_str_in_output\":true,\"stream\":true", true)]
    [InlineData(Chat, ChatBase, "\"stop\":[\"x\"]", false)]
    public async Task Post_IncludeStopStrInOutput_ReachesTheEngine(string path, string common, string extra, bool expected)
    {
        var (engine, request) = await PostOkAsync(path, common, extra);

        Assert.Equal(expected, request.Sampling.IncludeStopStrInOutput);
        Assert.NotNull(engine);
    }

    [Theory]
    [InlineData(Completions, CompletionBase, "", true)]
    [InlineData(Completions, CompletionBase, "\"skip_special_tokens\":false", false)]
    [InlineData(Completions, CompletionBase, "\"skip_special_tokens\":true", true)]
    [InlineData(Chat, ChatBase, "\"skip_special_tokens\":false", false)]
    [InlineData(Chat, ChatBase, "\"skip_special_tokens\":null", true)]
    public async Task Post_SkipSpecialTokens_DefaultsToTrueAndReachesTheEngine(string path, string common, string extra, bool expected)
    {
        var (_, request) = await PostOkAsync(path, common, extra);

        Assert.Equal(expected, request.Sampling.SkipSpecialTokens);
    }

    [Theory]
    [InlineData(Completions, CompletionBase, "\"truncate_prompt_tokens\":-1")]
    [InlineData(Completions, CompletionBase, "\"truncate_prompt_tokens\":null")]
    [InlineData(Completions, CompletionBase, "\"truncate_prompt_tokens\":100000")]
    [InlineData(Completions, CompletionBase, "\"spaces_between_special_tokens\":false")]
    [InlineData(Completions, CompletionBase, "\"spaces_between_special_tokens\":true")]
    [InlineData(Completions, CompletionBase, "\"add_special_tokens\":true")]
    [InlineData(Completions, CompletionBase, "\"add_special_tokens\":false")]
    [InlineData(Chat, ChatBase, "\"add_special_tokens\":true,\"spaces_between_special_tokens\":false")]
    [InlineData(Completions, CompletionBase, "\"use_beam_search\":false,\"length_penalty\":1.0,\"priority\":0")]
    [InlineData(Chat, ChatBase, "\"use_beam_search\":null,\"length_penalty\":1,\"priority\":null")]
    [InlineData(Completions, CompletionBase, "\"guided_json\":null,\"guided_regex\":null,\"guided_choice\":null,\"guided_grammar\":null,\"structured_outputs\":null")]
    [InlineData(Chat, ChatBase, "\"allowed_token_ids\":null,\"bad_words\":[],\"logits_processors\":[]")]
    [InlineData(Completions, CompletionBase, "\"bad_words\":null,\"logits_processors\":null")]
    [InlineData(Chat, ChatBase, "\"stream\":true,\"stream_options\":{\"include_usage\":true,\"include_obfuscation\":false}")]
    [InlineData(Completions, CompletionBase, "\"stream_options\":{\"include_obfuscation\":null}")]
    public async Task Post_NeutralVllmValues_ServeTheWholePrompt(string path, string common, string extra)
    {
        var (_, request) = await PostOkAsync(path, common, extra);

        Assert.Equal(DemoTokenizer.Instance.Encode(path == Completions ? "Hi" : "User: Hi\nAssistant:"), request.PromptTokens);
    }

    [Theory]
    [InlineData(Completions, "Once upon a time there was a dog", 3)]
    [InlineData(Completions, "Once upon a time there was a dog", 1)]
    [InlineData(Chat, "Once upon a time there was a dog", 2)]
    public async Task Post_TruncatePromptTokens_KeepsTheLastTokens(string path, string content, int keep)
    {
        var common = path == Completions
            ? $"\"prompt\":\"{content}\",\"max_tokens\":4"
            : $"\"messages\":[{{\"role\":\"user\",\"content\":\"{content}\"}}],\"max_tokens\":4";
        var full = DemoTokenizer.Instance.Encode(path == Completions ? content : $"User: {content}\nAssistant:");

        var (_, request) = await PostOkAsync(path, common, $"\"truncate_prompt_tokens\":{keep}");

        Assert.Equal(full.Skip(full.Count - keep), request.PromptTokens);
    }

    [Fact]
    public async Task Completions_TruncatePromptTokensWithEcho_EchoesTheKeptTokensText()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var tokens = DemoTokenizer.Instance.Encode("Once upon a time there was a dog");

        using var response = await Json.PostAsync(client, Completions, """{"prompt":"Once upon a time there was a dog","max_tokens":1,"echo":true,"truncate_prompt_tokens":2}""");

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var echoed = DemoTokenizer.Instance.Decode(tokens.Skip(tokens.Count - 2));
        Assert.StartsWith(echoed, (string)Json.Parse(text)["choices"]![0]!["text"]!, StringComparison.Ordinal);
        Assert.False(((string)Json.Parse(text)["choices"]![0]!["text"]!).StartsWith("Once", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(Completions, CompletionBase, "\"truncate_prompt_tokens\":0", "truncate_prompt_tokens", "at least 1")]
    [InlineData(Chat, ChatBase, "\"truncate_prompt_tokens\":-2", "truncate_prompt_tokens", "at least 1")]
    [InlineData(Completions, CompletionBase, "\"truncate_prompt_tokens\":1.5", "truncate_prompt_tokens", "whole number")]
    [InlineData(Completions, CompletionBase, "\"include_stop_str_in_output\":\"yes\"", "include_stop_str_in_output", "boolean")]
    [InlineData(Chat, ChatBase, "\"skip_special_tokens\":1", "skip_special_tokens", "boolean")]
    [InlineData(Completions, CompletionBase, "\"spaces_between_special_tokens\":\"no\"", "spaces_between_special_tokens", "boolean")]
    [InlineData(Completions, CompletionBase, "\"use_beam_search\":true", "use_beam_search", "beam search")]
    [InlineData(Chat, ChatBase, "\"use_beam_search\":true", "use_beam_search", "beam search")]
    [InlineData(Completions, CompletionBase, "\"length_penalty\":0.5", "length_penalty", "beam search")]
    [InlineData(Chat, ChatBase, "\"guided_grammar\":\"root ::= x\"", "guided_grammar", "rule `x` is used but not defined")]
    [InlineData(Completions, CompletionBase, "\"structured_outputs\":{\"structural_tag\":\"{\\\"type\\\":\\\"structural_tag\\\",\\\"format\\\":{}}\"}", "structured_outputs.structural_tag.format", "not supported")]
    [InlineData(Chat, ChatBase, "\"logits_processors\":[\"pkg.Proc\"]", "logits_processors", "logits processors")]
    [InlineData(Chat, ChatBase, "\"stream\":true,\"stream_options\":{\"include_obfuscation\":true}", "stream_options.include_obfuscation", "does not pad")]
    [InlineData(Completions, CompletionBase, "\"stream_options\":{\"include_obfuscation\":true}", "stream_options.include_obfuscation", "does not pad")]
    [InlineData(Completions, CompletionBase, "\"priority\":1", "priority", "first come, first served")]
    [InlineData(Chat, ChatBase, "\"priority\":-5", "priority", "first come, first served")]
    public async Task Post_UnsupportedVllmValue_Returns400NamingTheField(string path, string common, string extra, string param, string reason)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, path, $"{{{common},{extra}}}");

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var error = Json.Parse(text)["error"]!;
        Assert.Equal(param, (string?)error["param"]);
        Assert.Contains(reason, (string?)error["message"], StringComparison.Ordinal);
        Assert.DoesNotContain("Unrecognized", (string?)error["message"], StringComparison.Ordinal);
        Assert.Empty(engine.Requests);
    }

    [Fact]
    public async Task Post_AddSpecialTokensWithATokenizerThatAddsThem_TrueIs400AndFalseIsServed()
    {
        var dir = Directory.CreateTempSubdirectory("msv-bos-");
        try
        {
            var json = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(TestPaths.DemoModel, "tokenizer.json")))!;
            json["post_processor"] = JsonNode.Parse("""
                {"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<|endoftext|>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],
                 "pair":[],"special_tokens":{"<|endoftext|>":{"id":"<|endoftext|>","ids":[0],"tokens":["<|endoftext|>"]}}}
                """);
            var file = Path.Combine(dir.FullName, "tokenizer.json");
            await File.WriteAllTextAsync(file, json.ToJsonString());
            var tokenizer = MambaTokenizer.FromFile(file);
            Assert.True(tokenizer.PostProcessorAddsTokens);
            Assert.False(DemoTokenizer.Instance.PostProcessorAddsTokens);
            var engine = new FakeEngine(tokenizer);
            await using var factory = ServerFactory.WithFake(engine, tokenizer);
            var client = await factory.CreateReadyClientAsync();

            using var refused = await Json.PostAsync(client, Completions, $"{{{CompletionBase},\"add_special_tokens\":true}}");
            using var chatRefused = await Json.PostAsync(client, Chat, $"{{{ChatBase},\"add_special_tokens\":true}}");
            using var served = await Json.PostAsync(client, Completions, $"{{{CompletionBase},\"add_special_tokens\":false}}");

            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("add_special_tokens", (string?)(await Json.ReadAsync(refused))["error"]!["param"]);
            Assert.Equal(HttpStatusCode.BadRequest, chatRefused.StatusCode);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            Assert.Equal(tokenizer.Encode("Hi"), Assert.Single(engine.Requests).PromptTokens);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task<(FakeEngine Engine, MambaServe.Engine.Generation.GenerationRequest Request)> PostOkAsync(string path, string common, string extra)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var body = extra.Length == 0 ? $"{{{common}}}" : $"{{{common},{extra}}}";

        using var response = await Json.PostAsync(client, path, body);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return (engine, Assert.Single(engine.Requests));
    }
}
