using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Grpc.Core;
using MambaServe.Server.Grpc.V1;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi;

/// <summary>
/// GBNF grammars on the demo model through the real engine: vLLM's structured_outputs.grammar and guided_grammar,
/// llama.cpp's grammar, and gRPC's grammar field. Each sampled text must be a whole sentence of the grammar (checked
/// by an equivalent regular expression) that ends by EOS.
/// </summary>
public sealed class GrammarOutputTests
{
    private const string Grammar = """
        # a short list
        root ::= item ("," " "? item){1,3} "."
        item ::= [A-Z] [a-z]{1,8} | [0-9]{1,3}
        """;

    private const string Sentence = @"^([A-Z][a-z]{1,8}|[0-9]{1,3})(, ?([A-Z][a-z]{1,8}|[0-9]{1,3})){1,3}\.\z";

    [Theory]
    [InlineData("/v1/completions", "structured_outputs", true)]
    [InlineData("/v1/completions", "guided_grammar", false)]
    [InlineData("/v1/chat/completions", "grammar", true)]
    [InlineData("/v1/chat/completions", "structured_outputs", false)]
    public async Task RealModel_Grammar_EveryChoiceIsASentenceOfIt(string path, string field, bool stream)
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = await factory.CreateReadyClientAsync();
        bool chat = path.Contains("chat", StringComparison.Ordinal);
        var body = new JsonObject
        {
            ["max_tokens"] = 40, ["temperature"] = 1.0, ["seed"] = 11, ["n"] = 4, ["stream"] = stream,
            [field] = field == "structured_outputs" ? new JsonObject { ["grammar"] = Grammar } : Grammar,
        };
        if (chat)
        {
            body["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "List a few names." });
        }
        else
        {
            body["prompt"] = "The jury named";
        }

        using var response = await Json.PostAsync(client, path, body.ToJsonString());

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var (texts, finishes) = await Json.ReadChoicesAsync(response, stream, 4);
        for (int i = 0; i < 4; i++)
        {
            Assert.Matches(Sentence, texts[i]);
            Assert.Equal("stop", finishes[i]);
        }
    }

    [Fact]
    public async Task Grpc_Grammar_EnforcedOnTheRealModel_ABadGrammarIsInvalidArgument()
    {
        await using var factory = ServerFactory.WithDemoModel();
        await factory.CreateReadyClientAsync();
        var client = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));

        var text = new StringBuilder();
        using (var call = client.Generate(new GenerateRequest { Prompt = "Names:", MaxTokens = 40, Temperature = 0.8f, Seed = 3, Grammar = Grammar }))
        {
            await foreach (var r in call.ResponseStream.ReadAllAsync())
            {
                text.Append(r.Text);
            }
        }

        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = client.Generate(new GenerateRequest { Prompt = "Names:", MaxTokens = 4, Grammar = "root ::= (\"a\"" });
            await call.ResponseStream.MoveNext();
        });

        Assert.Matches(Sentence, text.ToString());
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("expected `)`", refused.Status.Detail, StringComparison.Ordinal);
    }
}
