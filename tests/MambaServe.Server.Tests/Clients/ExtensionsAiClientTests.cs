using System.Text.Json;
using MambaServe.Server.Tests.Infrastructure;
using MambaServe.Server.Tests.OpenAi.Chat;
using Microsoft.Extensions.AI;

#pragma warning disable OPENAI001 // the Responses client is marked experimental in the OpenAI .NET package

namespace MambaServe.Server.Tests.Clients;

/// <summary>
/// Microsoft.Extensions.AI, unchanged: the <see cref="IChatClient"/> that .NET applications program against, over the
/// official OpenAI package's chat and Responses clients (Microsoft.Extensions.AI.OpenAI). Its function-invocation loop
/// calls a .NET function from the model's Hermes call and sends the result back (over Responses, continuing the response
/// by id with only the result); its typed <c>GetResponseAsync&lt;T&gt;</c> asks for a JSON schema of its own making and
/// reads the demo model's constrained answer back into a .NET type.
/// </summary>
public sealed class ExtensionsAiClientTests
{
    private const string Template =
        "{% if tools %}TOOLS {{ tools | map(attribute='function.name') | join(',') }}\n{% endif %}{% for m in messages %}{{ m.role }}: "
        + "{% if m.content %}{{ m.content }}{% endif %}{% for c in m.tool_calls or [] %}<tool_call>{\"name\": \"{{ c.function.name }}\", \"arguments\": {{ c.function.arguments | tojson }}}</tool_call>{% endfor %}{{ '\\n' }}{% endfor %}"
        + "{% if add_generation_prompt %}assistant: {% endif %}";
    private const string Call = """<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>""";
    private const string Result = "sunny-21C";
    private const string Answer = " It is sunny, 21C.";

    // Not Responses streamed: Microsoft.Extensions.AI.OpenAI 11.0.0 (the newest served) is built against OpenAI 2.14.0 and
    // streams Responses through a method whose signature OpenAI 2.15.0 changed (MissingMethodException in the client);
    // ResponsesClientTests streams with the OpenAI package itself.
    public static TheoryData<string, bool> Apis => new() { { "chat", false }, { "chat", true }, { "responses", false } };

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task FunctionInvocation_CallsTheDotNetFunction_AndAnswersFromItsResult(string api, bool stream)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { ScriptFor = AnswerOnceTheResultIsIn };
        await using var factory = AutoToolChoiceTests.WithTemplate(engine, Template);
        var http = await factory.CreateReadyClientAsync();
        var cities = new List<string>();
        var weather = AIFunctionFactory.Create((string city) => { cities.Add(city); return Result; }, "get_weather", "The weather in a city.");
        using var client = ChatClientFor(api, http).AsBuilder().UseFunctionInvocation().Build();
        var options = new ChatOptions { Tools = [weather] };

        string text;
        if (stream)
        {
            var updates = new List<ChatResponseUpdate>();
            await foreach (var update in client.GetStreamingResponseAsync("Weather in Paris?", options))
            {
                updates.Add(update);
            }

            text = updates.ToChatResponse().Text;
        }
        else
        {
            text = (await client.GetResponseAsync("Weather in Paris?", options)).Text;
        }

        Assert.Equal(["Paris"], cities);
        Assert.Equal(Answer, text);
        var requests = engine.Requests.ToList();
        Assert.Equal(2, requests.Count);
        string first = DemoTokenizer.Instance.Decode(requests[0].PromptTokens), second = DemoTokenizer.Instance.Decode(requests[1].PromptTokens);
        Assert.Equal("TOOLS get_weather\nuser: Weather in Paris?\nassistant: ", first);
        string rest = $"\ntool: \"{Result}\"\nassistant: ";
        if (api == "chat")
        {
            // Chat sends the whole conversation again: the call as the assistant's tool_calls, then the result.
            Assert.Equal(first + Call + rest, second);
        }
        else
        {
            // Responses continues the first response by id with the result alone, on the state that response saved.
            Assert.NotNull(requests[1].Start);
            Assert.Equal(rest, second);
        }
    }

    public sealed record Forecast(bool Sunny, int Degrees);

    [Theory]
    [InlineData("chat")]
    [InlineData("responses")]
    public async Task TypedResponse_ItsOwnJsonSchema_TheDemoModelsAnswerReadsBackAsTheType(string api)
    {
        await using var factory = ServerFactory.WithDemoModel();
        var http = await factory.CreateReadyClientAsync();
        using var client = ChatClientFor(api, http, "mamba-demo-5m");

        var response = await client.GetResponseAsync<Forecast>(
            "The weather today, as JSON.", new ChatOptions { Temperature = 0, MaxOutputTokens = 64 });

        Assert.True(response.TryGetResult(out var forecast), response.Text);
        Assert.NotNull(forecast);
        // The answer is the model's text, parsed by the client: the same text read with the serializer's options.
        Assert.Equal(forecast, JsonSerializer.Deserialize<Forecast>(response.Text, AIJsonUtilities.DefaultOptions));
    }

    private static IReadOnlyList<int> AnswerOnceTheResultIsIn(IReadOnlyList<int> prompt) =>
        DemoTokenizer.Instance.Encode(DemoTokenizer.Instance.Decode(prompt).Contains(Result, StringComparison.Ordinal) ? Answer : Call);

    private static IChatClient ChatClientFor(string api, HttpClient http, string model = "fake-model") => api switch
    {
        "chat" => OpenAiClients.Chat(http, model).AsIChatClient(),
        _ => OpenAiClients.Responses(http).AsIChatClient(model),
    };
}
