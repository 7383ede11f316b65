using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using MambaServe.Engine.Structured;
using MambaServe.Server.Grpc.V1;
using MambaServe.Server.Tests.Infrastructure;
using OpenAI.Chat;

namespace MambaServe.Server.Tests.OpenAi;

/// <summary>
/// JSON mode and choices (OpenAI's response_format, vLLM's structured_outputs and guided_choice): the mapping and its
/// refusals against the scripted engine, then the demo model through the real engine, streamed and not, and through
/// the official OpenAI .NET client.
/// </summary>
public sealed class StructuredOutputTests
{
    private const string Chat = "/v1/chat/completions";
    private const string Completions = "/v1/completions";

    [Theory]
    [InlineData(Chat, """{"response_format":{"type":"json_object"}}""")]
    [InlineData(Completions, """{"response_format":{"type":"json_object"}}""")]
    [InlineData(Chat, """{"structured_outputs":{"json_object":true}}""")]
    [InlineData(Completions, """{"structured_outputs":{"json_object":true,"choice":null}}""")]
    [InlineData(Chat, """{"response_format":{"type":"json_schema","json_schema":{"name":"x","strict":true,"schema":{"type":"object","properties":{"a":{"type":"string"}}}}}}""")]
    [InlineData(Completions, """{"structured_outputs":{"json":{"type":"object"}}}""")]
    [InlineData(Completions, """{"guided_json":"{\"type\":\"object\"}"}""")]
    [InlineData(Chat, """{"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","properties":{"d":{"type":"string","format":"date","pattern":"^2"}}}}}}""")]
    public async Task Post_JsonModeOrAnObjectSchema_TheEngineGetsAJsonConstraint(string path, string field)
    {
        var banned = await FirstBansAsync(path, field);

        Assert.DoesNotContain(DemoTokenizer.Instance.Encode("{")[0], banned);
        Assert.Contains(DemoTokenizer.Instance.Encode("The")[0], banned);
    }

    [Theory]
    [InlineData(Chat, """{"structured_outputs":{"choice":[" yes"," no"]}}""")]
    [InlineData(Completions, """{"guided_choice":[" yes"," no"]}""")]
    public async Task Post_Choice_TheEngineGetsAChoiceConstraint(string path, string field)
    {
        var banned = await FirstBansAsync(path, field);

        Assert.DoesNotContain(DemoTokenizer.Instance.Encode(" yes")[0], banned);
        Assert.DoesNotContain(DemoTokenizer.Instance.Encode(" no")[0], banned);
        Assert.Contains(DemoTokenizer.Instance.Encode(" maybe")[0], banned);
    }

    [Theory]
    [InlineData(Chat, """{"response_format":{"type":"text"}}""")]
    [InlineData(Completions, """{"response_format":null,"structured_outputs":null}""")]
    public async Task Post_TextFormat_NoConstraint(string path, string field)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, path, Body(path, field));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(Assert.Single(engine.Requests).Constraint);
    }

    [Theory]
    [InlineData(Chat, """{"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"array","uniqueItems":true}}}}""", "response_format.json_schema.schema", "`uniqueItems` is not enforced")]
    [InlineData(Chat, """{"response_format":{"type":"json_schema","json_schema":{"name":"x"}}}""", "response_format.json_schema.schema", "is required")]
    [InlineData(Chat, """{"response_format":{"type":"json_schema"}}""", "response_format.json_schema", "object with the `schema`")]
    [InlineData(Completions, """{"guided_json":"{not json"}""", "guided_json", "not valid JSON")]
    [InlineData(Completions, """{"guided_json":5}""", "guided_json", "a JSON schema (an object)")]
    [InlineData(Completions, """{"structured_outputs":{"json":{"properties":{"a":{"allOf":[]}}}}}""", "structured_outputs.json", "#/properties/a: `allOf`")]
    [InlineData(Chat, """{"response_format":{"type":"xml"}}""", "response_format.type", "`xml`")]
    [InlineData(Chat, """{"response_format":"json"}""", "response_format", "object with a string `type`")]
    [InlineData(Completions, """{"structured_outputs":{"regex":"(a"}}""", "structured_outputs.regex", "an unclosed `(`")]
    [InlineData(Completions, """{"structured_outputs":{"regex":5}}""", "structured_outputs.regex", "must be a string")]
    [InlineData(Completions, """{"structured_outputs":{"grammar":"root ::= x"}}""", "structured_outputs.grammar", "cannot be enforced: rule `x` is used but not defined (line 1, column 10)")]
    [InlineData(Chat, """{"grammar":"root ::= root \"a\" | \"b\""}""", "grammar", "rule `root` is left-recursive")]
    [InlineData(Completions, """{"structured_outputs":{"grammar":7}}""", "structured_outputs.grammar", "must be a string (a grammar in GBNF)")]
    [InlineData(Completions, """{"guided_grammar":"root ::= \"a\"","guided_regex":"a"}""", "guided_grammar", "one output format")]
    [InlineData(Chat, """{"grammar":"root ::= \"a\"","min_tokens":2}""", "min_tokens", "ban the EOS")]
    [InlineData(Completions, """{"structured_outputs":{"choice":["a"],"json_object":true}}""", "structured_outputs", "exactly one")]
    [InlineData(Completions, """{"structured_outputs":{"choice":[]}}""", "structured_outputs.choice", "1 to 1024")]
    [InlineData(Completions, """{"structured_outputs":{"choice":["a",1]}}""", "structured_outputs.choice", "array of strings")]
    [InlineData(Completions, """{"structured_outputs":{"pattern":"a"}}""", "structured_outputs.pattern", "Unknown")]
    [InlineData(Chat, """{"response_format":{"type":"json_object"},"guided_choice":["a"]}""", "guided_choice", "one output format")]
    [InlineData(Chat, """{"response_format":{"type":"json_object"},"ignore_eos":true}""", "ignore_eos", "ends with EOS")]
    [InlineData(Chat, """{"guided_choice":["a"],"min_tokens":1}""", "min_tokens", "ban the EOS")]
    [InlineData(Completions, """{"guided_regex":"(?=a)"}""", "guided_regex", "lookaround")]
    [InlineData(Completions, """{"guided_grammar":"root ::= [a-"}""", "guided_grammar", "unterminated character class")]
    [InlineData(Chat, """{"response_format":{"type":"structural_tag","triggers":["<"]}}""", "response_format.structures", "non-empty array of objects")]
    [InlineData(Chat, """{"response_format":{"type":"structural_tag","structures":[{"begin":"<a>","schema":{},"end":"</a>"}],"triggers":[1]}}""", "response_format.triggers", "non-empty array of strings")]
    [InlineData(Chat, """{"response_format":{"type":"structural_tag","structures":[{"begin":"[a]","schema":{},"end":"."}],"triggers":["<"]}}""", "response_format", "starts with none of the triggers")]
    [InlineData(Chat, """{"response_format":{"type":"structural_tag","structures":[{"begin":"<a>","end":"."}],"triggers":["<"]}}""", "response_format.structures[0].schema", "is required")]
    [InlineData(Chat, """{"response_format":{"type":"structural_tag","structures":[{"begin":"<a>","schema":{},"end":7}],"triggers":["<"]}}""", "response_format.structures[0].end", "must be a string")]
    [InlineData(Chat, """{"response_format":{"type":"structural_tag","structures":[{"begin":"<a>","schema":{"type":"array","uniqueItems":true},"end":"."}],"triggers":["<"]}}""", "response_format.structures[0].schema", "`uniqueItems`")]
    [InlineData(Completions, """{"structured_outputs":{"structural_tag":"{not json"}}""", "structured_outputs.structural_tag", "not valid JSON")]
    [InlineData(Completions, """{"structured_outputs":{"structural_tag":[1]}}""", "structured_outputs.structural_tag", "must be an object")]
    public async Task Post_FormatTheServerCannotEnforce_Returns400NamingTheField(string path, string field, string param, string message)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, path, Body(path, field));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await Json.ReadAsync(response))["error"]!;
        Assert.Equal(param, (string?)error["param"]);
        Assert.Contains(message, (string?)error["message"], StringComparison.Ordinal);
        Assert.Empty(engine.Requests);
    }

    [Fact]
    public async Task Post_JsonModeOnAModelWithoutTokenizer_Returns400()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(null));
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, Completions, """{"prompt":[1,2,3],"max_tokens":2,"response_format":{"type":"json_object"}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("without one", (string?)(await Json.ReadAsync(response))["error"]!["message"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RealModel_JsonMode_EveryChoiceIsAJsonPrefixAndACompleteOneParses(bool stream)
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = await factory.CreateReadyClientAsync();
        var body = new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Describe the jury as JSON." }),
            ["max_tokens"] = 60, ["temperature"] = 0.9, ["seed"] = 11, ["n"] = 6, ["stream"] = stream,
            ["response_format"] = new JsonObject { ["type"] = "json_object" },
            // Quotes and the closing brace made likely, so that strings close and some objects end within the budget.
            ["logit_bias"] = new JsonObject
            {
                [Token("\"").ToString(System.Globalization.CultureInfo.InvariantCulture)] = 6,
                [Token("}").ToString(System.Globalization.CultureInfo.InvariantCulture)] = 8,
            },
        };

        var choices = await ChatChoicesAsync(client, body, stream);

        Assert.Equal(6, choices.Count);
        int complete = 0;
        foreach (var (text, finish) in choices)
        {
            Assert.True(JsonSchemaState.StartObject().Feed(Encoding.UTF8.GetBytes(text), out var end), text);
            if (finish == "stop")
            {
                Assert.True(end.IsComplete, text);
                using var doc = JsonDocument.Parse(text);
                Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
                complete++;
            }
            else
            {
                Assert.Equal("length", finish);
            }
        }

        Assert.True(complete > 0, string.Join(" | ", choices.Select(c => c.Text)));
    }

    /// <summary>
    /// A structural tag on the demo model: "&lt;" made likely, so the model starts structures often; every one it writes
    /// holds a value of the schema, and the text around them stays free.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RealModel_StructuralTag_EveryStructureHoldsAValueOfItsSchema(bool stream)
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = await factory.CreateReadyClientAsync();
        const string Schema = """{"type":"object","properties":{"city":{"enum":["Paris","Oslo"]}},"required":["city"],"additionalProperties":false}""";
        var body = new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Where is the jury?" }),
            ["max_tokens"] = 150, ["temperature"] = 0.9, ["seed"] = 5, ["n"] = 4, ["stream"] = stream,
            ["response_format"] = new JsonObject
            {
                ["type"] = "structural_tag",
                ["structures"] = new JsonArray(new JsonObject { ["begin"] = "<city>", ["schema"] = JsonNode.Parse(Schema), ["end"] = "</city>" }),
                ["triggers"] = new JsonArray("<"),
            },
            ["logit_bias"] = new JsonObject
            {
                [Token("<").ToString(System.Globalization.CultureInfo.InvariantCulture)] = 10,
                [Token("}").ToString(System.Globalization.CultureInfo.InvariantCulture)] = 4,
            },
        };

        var choices = await ChatChoicesAsync(client, body, stream);

        var grammar = new StructuralTagGrammar([("<city>", StructuredOutputs.CompileSchema(JsonDocument.Parse(Schema).RootElement), "</city>")], ["<"]);
        int started = 0;
        foreach (var (text, finish) in choices)
        {
            Assert.True(StructuralTagGrammarState.Start(grammar).Feed(Encoding.UTF8.GetBytes(text), out var end), text);
            Assert.True(finish == "length" || end.IsComplete, text);
            started += System.Text.RegularExpressions.Regex.Count(text, "<");
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(text, "<city>(.*?)</city>"))
            {
                using var doc = JsonDocument.Parse(m.Groups[1].Value);
                Assert.Contains(doc.RootElement.GetProperty("city").GetString(), new[] { "Paris", "Oslo" });
            }
        }

        // Every "<" began a structure (the grammar above), and the model did write some.
        Assert.True(started > 0, string.Join(" | ", choices.Select(c => c.Text)));
    }

    // What a Pydantic model with an optional field, an enum, a list and a nested model sends (OpenAI strict style).
    private const string PersonSchema = """
        {"type":"object","additionalProperties":false,"required":["name","age","mood","pets","address"],"properties":{
          "name":{"type":"string","title":"Name"},
          "age":{"type":"integer"},
          "mood":{"enum":["happy","sad","calm"]},
          "nickname":{"anyOf":[{"type":"string"},{"type":"null"}],"default":null},
          "pets":{"type":"array","items":{"$ref":"#/$defs/Pet"}},
          "address":{"type":"object","additionalProperties":false,"required":["city"],"properties":{"city":{"type":"string"},"zip":{"type":["string","null"]}}}},
         "$defs":{"Pet":{"type":"object","required":["kind","legs"],"properties":{"kind":{"type":"string"},"legs":{"type":"number"}}}}}
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RealModel_JsonSchema_EveryFinishedChoiceValidates(bool stream)
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = await factory.CreateReadyClientAsync();
        var body = new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Describe a person." }),
            ["max_tokens"] = 200, ["temperature"] = 0.9, ["seed"] = 21, ["n"] = 6, ["stream"] = stream,
            ["response_format"] = new JsonObject
            {
                ["type"] = "json_schema",
                ["json_schema"] = new JsonObject { ["name"] = "person", ["strict"] = true, ["schema"] = JsonNode.Parse(PersonSchema) },
            },
            // Closing quotes and brackets made likely, so that strings and lists end within the budget.
            ["logit_bias"] = new JsonObject
            {
                [Token("\"").ToString(System.Globalization.CultureInfo.InvariantCulture)] = 6,
                [Token("]").ToString(System.Globalization.CultureInfo.InvariantCulture)] = 6,
            },
        };

        var choices = await ChatChoicesAsync(client, body, stream);

        int finished = 0;
        foreach (var (text, finish) in choices)
        {
            if (finish == "stop")
            {
                // The engine's tests validate such walks with JsonSchema.Net; here the schema's rules are checked by hand.
                using var doc = JsonDocument.Parse(text);
                AssertPerson(doc.RootElement, text);
                finished++;
            }
            else
            {
                Assert.Equal("length", finish);
                Assert.True(SchemaStart(PersonSchema).Feed(Encoding.UTF8.GetBytes(text), out _), text);
            }
        }

        Assert.True(finished > 0, string.Join(" | ", choices.Select(c => c.Text)));
    }

    [Fact]
    public async Task OpenAiClient_JsonSchemaResponseFormat_GetsAValidatingObject()
    {
        await using var factory = ServerFactory.WithDemoModel();
        var http = await factory.CreateReadyClientAsync();
        var chat = OpenAiClients.Chat(http, "mamba-demo-5m");
        const string schema = """{"type":"object","properties":{"answer":{"enum":["yes","no"]},"confidence":{"type":"integer"}},"required":["answer","confidence"],"additionalProperties":false}""";
        var options = new ChatCompletionOptions
        {
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("verdict", BinaryData.FromString(schema), jsonSchemaIsStrict: true),
            MaxOutputTokenCount = 40, Temperature = 0,
        };
        // The model would write digits of `confidence` past the budget: the closing brace made likely ends the number.
        options.LogitBiases[Token("}")] = 10;

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("Is the sky blue?")], options);

        var text = Assert.Single(completion.Content).Text;
        using var doc = JsonDocument.Parse(text);
        Assert.Equal(["answer", "confidence"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Contains(doc.RootElement.GetProperty("answer").GetString(), new[] { "yes", "no" });
        Assert.True(doc.RootElement.GetProperty("confidence").TryGetInt64(out _), text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
    }

    [Theory]
    [InlineData(false, "guided_regex")]
    [InlineData(true, "structured_outputs")]
    public async Task RealModel_Regex_EveryChoiceMatchesWhole(bool stream, string field)
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = await factory.CreateReadyClientAsync();
        const string pattern = @"(Mr|Mrs)\. [A-Z][a-z]{2,8}, \d{3}-\d{4}";
        var body = new JsonObject
        {
            ["prompt"] = "The jury called", ["max_tokens"] = 40, ["temperature"] = 1.0, ["seed"] = 4, ["n"] = 4, ["stream"] = stream,
            [field] = field == "guided_regex" ? pattern : new JsonObject { ["regex"] = pattern },
        };

        using var response = await Json.PostAsync(client, Completions, body.ToJsonString());

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var (texts, finishes) = await Json.ReadChoicesAsync(response, stream, 4);
        for (int i = 0; i < 4; i++)
        {
            Assert.Matches(@"^(?:" + pattern + @")\z", texts[i]);
            Assert.Equal("stop", finishes[i]);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Responses_TextFormatJsonSchema_OutputFollowsItAndTheFormatIsEchoed(bool stream)
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = await factory.CreateReadyClientAsync();
        // No number: the demo model would write a number's digits past the budget (Responses has no logit_bias to stop it).
        const string schema = """{"type":"object","properties":{"answer":{"enum":["yes","no"]},"sure":{"type":"boolean"}},"required":["answer","sure"]}""";
        var body = new JsonObject
        {
            ["input"] = "Is the sky blue?", ["max_output_tokens"] = 40, ["temperature"] = 0, ["stream"] = stream, ["store"] = false,
            ["text"] = new JsonObject
            {
                ["format"] = new JsonObject { ["type"] = "json_schema", ["name"] = "verdict", ["strict"] = true, ["schema"] = JsonNode.Parse(schema) },
            },
        };

        using var response = await Json.PostAsync(client, "/v1/responses", body.ToJsonString());

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        // A Responses stream names each event (`event: ...` then `data: ...`): the last one carries the final response.
        var final = stream
            ? (await response.Content.ReadAsStringAsync()).Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal))
                .Select(l => Json.Parse(l["data: ".Length..])).Last(e => (string?)e["type"] is "response.completed" or "response.incomplete")["response"]!
            : await Json.ReadAsync(response);
        var format = final["text"]!["format"]!;
        Assert.Equal("json_schema", (string?)format["type"]);
        Assert.Equal("verdict", (string?)format["name"]);
        Assert.True((bool)format["strict"]!);
        var text = string.Concat(final["output"]![0]!["content"]!.AsArray().Select(c => (string?)c!["text"]));
        Assert.Equal("completed", (string?)final["status"]);
        using var doc = JsonDocument.Parse(text);
        Assert.Contains(doc.RootElement.GetProperty("answer").GetString(), new[] { "yes", "no" });
        Assert.True(doc.RootElement.GetProperty("sure").ValueKind is JsonValueKind.True or JsonValueKind.False, text);
    }

    [Fact]
    public async Task RealModel_GuidedChoice_TheTextIsOneOfTheChoices()
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = await factory.CreateReadyClientAsync();
        string[] choices = [" yes", " no", " perhaps so"];

        using var response = await Json.PostAsync(client, Completions, new
        {
            prompt = "Is the sky blue? Answer:", max_tokens = 8, temperature = 1.0, n = 8, seed = 3, guided_choice = choices,
        });

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        foreach (var choice in (await Json.ReadAsync(response))["choices"]!.AsArray())
        {
            Assert.Contains((string)choice!["text"]!, choices);
            Assert.Equal("stop", (string?)choice["finish_reason"]);
        }
    }

    [Fact]
    public async Task OpenAiClient_JsonObjectResponseFormat_GetsJson()
    {
        await using var factory = ServerFactory.WithDemoModel();
        var http = await factory.CreateReadyClientAsync();
        var chat = OpenAiClients.Chat(http, "mamba-demo-5m");
        var options = new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat(), MaxOutputTokenCount = 40, Temperature = 0 };
        // The object closes at once: "}" made likely wherever the grammar allows it.
        options.LogitBiases[Token("}")] = 10;

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("Reply in JSON.")], options);

        var text = Assert.Single(completion.Content).Text;
        using var doc = JsonDocument.Parse(text);
        Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
    }

    [Fact]
    public async Task Grpc_ChoiceAndJsonObject_EnforcedOnTheRealModel_IgnoreEosRefused()
    {
        await using var factory = ServerFactory.WithDemoModel();
        await factory.CreateReadyClientAsync();
        var client = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));

        var choice = new GenerateRequest { Prompt = "Is the sky blue? Answer:", MaxTokens = 8, Temperature = 1, Seed = 9 };
        choice.Choice.Add([" yes", " no"]);
        var chosen = await TextAsync(client.Generate(choice));
        var json = new GenerateRequest { Prompt = "Data:", MaxTokens = 30, Temperature = 0, JsonObject = true };
        var jsonText = await TextAsync(client.Generate(json));
        var schema = new GenerateRequest { Prompt = "Count:", MaxTokens = 20, Temperature = 0, JsonSchema = """{"type":"array","items":{"type":"integer"}}""" };
        var schemaText = await TextAsync(client.Generate(schema));
        var regex = new GenerateRequest { Prompt = "Date:", MaxTokens = 20, Temperature = 0, Regex = @"\d{4}-\d{2}-\d{2}" };
        var regexText = await TextAsync(client.Generate(regex));
        var refused = await Assert.ThrowsAsync<RpcException>(() => TextAsync(client.Generate(
            new GenerateRequest { Prompt = "Data:", MaxTokens = 4, JsonObject = true, IgnoreEos = true })));

        Assert.Contains(chosen, new[] { " yes", " no" });
        Assert.True(JsonSchemaState.StartObject().Feed(Encoding.UTF8.GetBytes(jsonText), out _), jsonText);
        Assert.StartsWith("[", schemaText.TrimStart(), StringComparison.Ordinal);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}\z", regexText);
        Assert.True(SchemaStart(schema.JsonSchema).Feed(Encoding.UTF8.GetBytes(schemaText), out _), schemaText);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("ignore_eos", refused.Status.Detail, StringComparison.Ordinal);
    }

    private static async Task<string> TextAsync(AsyncServerStreamingCall<GenerateResponse> call)
    {
        using (call)
        {
            var text = new StringBuilder();
            await foreach (var response in call.ResponseStream.ReadAllAsync())
            {
                text.Append(response.Text);
            }

            return text.ToString();
        }
    }

    private static void AssertPerson(JsonElement person, string text)
    {
        var names = person.EnumerateObject().Select(p => p.Name).ToList();
        Assert.True(names.SequenceEqual(new[] { "name", "age", "mood", "nickname", "pets", "address" }.Where(names.Contains)), text);
        Assert.Equal(JsonValueKind.String, person.GetProperty("name").ValueKind);
        Assert.True(person.GetProperty("age").TryGetInt64(out _), text);
        Assert.Contains(person.GetProperty("mood").GetString(), new[] { "happy", "sad", "calm" });
        if (person.TryGetProperty("nickname", out var nickname))
        {
            Assert.True(nickname.ValueKind is JsonValueKind.String or JsonValueKind.Null, text);
        }

        foreach (var pet in person.GetProperty("pets").EnumerateArray())
        {
            Assert.Equal(JsonValueKind.String, pet.GetProperty("kind").ValueKind);
            Assert.Equal(JsonValueKind.Number, pet.GetProperty("legs").ValueKind);
        }

        var address = person.GetProperty("address");
        Assert.Equal(JsonValueKind.String, address.GetProperty("city").ValueKind);
        if (address.TryGetProperty("zip", out var zip))
        {
            Assert.True(zip.ValueKind is JsonValueKind.String or JsonValueKind.Null, text);
        }
    }

    private static JsonSchemaState SchemaStart(string schema) => JsonSchemaState.Start(JsonSchemaCompiler.Compile(JsonDocument.Parse(schema).RootElement));

    private static int Token(string text) => Assert.Single(DemoTokenizer.Instance.Encode(text));

    /// <summary>Posts the request to the scripted engine and gives the ids its constraint bans for the first token.</summary>
    private static async Task<HashSet<int>> FirstBansAsync(string path, string field)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, path, Body(path, field));

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return Assert.Single(engine.Requests).Constraint!.Create().Banned().ToHashSet();
    }

    private static string Body(string path, string field)
    {
        var body = JsonNode.Parse(field)!.AsObject();
        body["max_tokens"] ??= 2;
        if (path == Chat)
        {
            body["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hi" });
        }
        else
        {
            body["prompt"] = "Once upon";
        }

        return body.ToJsonString();
    }

    private static async Task<List<(string Text, string? Finish)>> ChatChoicesAsync(HttpClient client, JsonObject body, bool stream)
    {
        using var response = await Json.PostAsync(client, Chat, body.ToJsonString());
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        if (!stream)
        {
            return [.. (await Json.ReadAsync(response))["choices"]!.AsArray()
                .Select(c => ((string)c!["message"]!["content"]!, (string?)c["finish_reason"]))];
        }

        var texts = new SortedDictionary<int, StringBuilder>();
        var finishes = new Dictionary<int, string?>();
        foreach (var data in (await Json.ReadEventsAsync(response)).Where(d => d != "[DONE]"))
        {
            foreach (var choice in Json.Parse(data)["choices"]!.AsArray())
            {
                int index = (int)choice!["index"]!;
                (texts.TryGetValue(index, out var sb) ? sb : texts[index] = new StringBuilder()).Append((string?)choice["delta"]!["content"]);
                if ((string?)choice["finish_reason"] is { } finish)
                {
                    finishes[index] = finish;
                }
            }
        }

        return [.. texts.Select(t => (t.Value.ToString(), finishes.GetValueOrDefault(t.Key)))];
    }
}
