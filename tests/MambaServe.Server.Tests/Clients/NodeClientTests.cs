using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;
using MambaServe.Server.Tests.OpenAi.Chat;

namespace MambaServe.Server.Tests.Clients;

/// <summary>
/// The official npm clients (tests/clients/node, installed with npm ci from its lock file) against a real server on a
/// free port, each driven by a script that prints one JSON line of what it saw. openai: Responses create, continue
/// while streaming, retrieve, delete; a forced function call through the package's stream helper, then its output
/// continuing the conversation, whose input items the package pages through; a conversation of the Conversations API
/// with responses made in it, its items paged, read and deleted; the Responses WebSocket's lanes through the package's
/// ResponsesWebSocketSession; the AI SDK's responses model continuing a conversation by item_reference; the OpenAI Agents
/// SDK running an agent's function tool over Responses and Chat Completions; LangChain's ChatOpenAI invoking, streaming,
/// calling a forced tool and reading structured output over both. @anthropic-ai/sdk: Messages create, a
/// stream through its MessageStream helper, count_tokens, a streamed forced tool_use and its tool_result, and a bad
/// request as its error class. Skipped where node is not installed.
/// </summary>
public sealed class NodeClientTests
{
    private static readonly string s_clientDirectory = Path.Combine(AppContext.BaseDirectory, "clients", "node");

    [Fact]
    public async Task OpenAiNpmClient_CreateContinueStreamRetrieveDeleteAndAFunctionCall_WorkUnchanged()
    {
        var seen = await RunOnDemoServerAsync("responses.mjs");

        Assert.Matches("^resp_[0-9a-f]{48}$", (string)seen["first"]!["id"]!);
        Assert.False(string.IsNullOrEmpty((string?)seen["first"]!["text"]));
        var second = seen["second"]!;
        Assert.Equal((string)seen["first"]!["id"]!, (string)second["previous"]!);
        var firstUsage = seen["first"]!["usage"]!;
        Assert.Equal((int)firstUsage["input_tokens"]! + (int)firstUsage["output_tokens"]! - 1, (int)second["usage"]!["input_tokens_details"]!["cached_tokens"]!);
        Assert.Equal("response.created", (string)second["types"]![0]!);
        Assert.Equal((string)second["deltas"]!, (string)seen["fetchedText"]!);
        Assert.Equal(404, (int)seen["goneStatus"]!);
        var continuedGone = seen["continuedGone"]!;
        Assert.Equal((400, true, "previous_response_not_found", "previous_response_id"),
            ((int)continuedGone["status"]!, (bool)continuedGone["badRequest"]!, (string?)continuedGone["code"], (string?)continuedGone["param"]));
        var call = seen["call"]!;
        Assert.Equal(("get_weather", 1), ((string?)call["name"], (int)call["items"]!));
        Assert.StartsWith("call_", (string?)call["callId"], StringComparison.Ordinal);
        ToolChoiceTests.AssertWeather((string)call["arguments"]!);
        Assert.Equal((string?)call["arguments"], (string?)call["argumentDeltas"]);
        var answered = seen["answered"]!;
        Assert.Equal((string?)answered["calledId"], (string?)answered["previous"]);
        Assert.Equal("message", (string?)Assert.Single(answered["types"]!.AsArray()));
        var items = seen["inputItems"]!.AsArray();
        Assert.Equal(["message", "function_call", "function_call_output"], items.Select(item => (string?)item!["type"]));
        Assert.Equal("user", (string?)items[0]!["role"]);
        Assert.Equal(((string?)call["id"], (string?)call["callId"]), ((string?)items[1]!["id"], (string?)items[1]!["callId"]));
        Assert.Equal((string?)call["callId"], (string?)items[2]!["callId"]);
        Assert.Equal(3, items.Select(item => (string?)item!["id"]).Distinct().Count());
        var counts = seen["counts"]!.AsArray();
        Assert.All(counts, count => Assert.Equal("response.input_tokens", (string?)count!["object"]));
        Assert.Equal([(int)firstUsage["input_tokens"]!, (int)second["usage"]!["input_tokens"]!], counts.Select(count => (int)count!["input_tokens"]!));
    }

    [Fact]
    public async Task OpenAiNpmClient_ResponsesWebSocket_UnstoredTurnsOnTheSocketsState_AnErrorEvent_AndAStoredTurn()
    {
        var seen = await RunOnDemoServerAsync("responses-ws.mjs");

        var (first, second, unknown, stored) = (seen["first"]!, seen["second"]!, seen["unknown"]!, seen["stored"]!);
        foreach (var turn in new[] { first, second, stored })
        {
            Assert.Equal("response.created", (string?)turn["types"]![0]);
            Assert.Equal((string?)turn["text"], (string?)turn["deltas"]);
            Assert.Null(turn["error"]);
        }

        Assert.Equal((false, false, true), ((bool)first["store"]!, (bool)second["store"]!, (bool)stored["store"]!));
        Assert.Equal((string?)first["id"], (string?)second["previous"]);
        var firstUsage = first["usage"]!;
        Assert.Equal((int)firstUsage["input_tokens"]! + (int)firstUsage["output_tokens"]! - 1, (int)second["usage"]!["input_tokens_details"]!["cached_tokens"]!);
        // Greedy, the same two turns over HTTP (stored, previous_response_id) say the same.
        var http = seen["http"]!;
        Assert.Equal(((string?)http["first"], (string?)http["second"]), ((string?)first["text"], (string?)second["text"]));
        Assert.Equal((int)http["cached"]!, (int)second["usage"]!["input_tokens_details"]!["cached_tokens"]!);
        var error = unknown["error"]!;
        Assert.Equal(("error", "previous_response_not_found", "previous_response_id"), ((string?)error["type"], (string?)error["error"]!["code"], (string?)error["error"]!["param"]));
        Assert.Equal(["error"], unknown["types"]!.AsArray().Select(type => (string?)type));
        Assert.Equal(404, (int)seen["unstoredStatus"]!);
        Assert.Equal((string?)stored["text"], (string?)seen["fetchedText"]);
    }

    [Fact]
    public async Task OpenAiNpmClient_WebSocketLanes_RunAtOnce_ForkQueueAndSteer_WorkUnchanged()
    {
        var seen = await RunOnDemoServerAsync("responses-ws-lanes.mjs");

        var (first, weather, forked, continued) = (seen["first"]!, seen["weather"]!, seen["forked"]!, seen["continued"]!);
        Assert.All([first, weather, seen["one"]!, seen["two"]!], r => Assert.False(string.IsNullOrEmpty((string?)r["text"])));
        Assert.Equal(((string?)first["id"], (string?)first["id"]), ((string?)forked["previous"], (string?)continued["previous"]));
        // The fork and the lane that went on started from the same saved state with the same turn: greedy, the same answer.
        Assert.Equal((string?)continued["text"], (string?)forked["text"]);
        Assert.All([forked, continued], r => Assert.True((int)r["cached"]! > 0));
        Assert.Equal(6, new[] { first, weather, forked, continued, seen["one"]!, seen["two"]! }.Select(r => (string?)r["id"]).Distinct().Count());
        var laneError = seen["laneError"]!;
        Assert.Equal((400, "previous_response_not_found", "fork"), ((int)laneError["status"]!, (string?)laneError["code"], (string?)laneError["streamId"]));
        // The steer: accepted on the lane with an id, and the successor continued the steered response from its state.
        var steer = seen["steer"]!;
        string steered = (string)steer["created"]!;
        Assert.True(steer["refused"] is null && steer["accepted"] is not null, steer.ToJsonString());
        // The acceptance came before the steered response's end, on its lane.
        Assert.Equal((steered, "main", false), ((string?)steer["accepted"]!["previous"], (string?)steer["accepted"]!["streamId"], (bool)steer["accepted"]!["afterEnd"]!));
        Assert.Matches("^steer_[0-9a-f]+$", (string?)steer["accepted"]!["id"]);
        Assert.True((string?)steer["status"] == "completed" || (string?)steer["reason"] == "steered", steer.ToJsonString());
        Assert.Equal(steered, (string?)steer["successor"]!["previous"]);
        Assert.True((int)steer["successor"]!["cached"]! > 0);
    }

    [Fact]
    public async Task AiSdk_ResponsesModel_ContinuesAConversationByItemReference_AsByValue()
    {
        var seen = await RunOnDemoServerAsync("ai-sdk.mjs");

        // store on (the provider's default): the earlier answer went as an item_reference to its id, and was found.
        string messageId = (string)seen["firstMessageId"]!;
        Assert.Equal([messageId], seen["referenced"]!.AsArray().Select(id => (string?)id));
        Assert.False(string.IsNullOrEmpty((string?)seen["first"]));
        Assert.False(string.IsNullOrEmpty((string?)seen["second"]));
        // store off: the answer by value; greedy, the same second answer.
        Assert.Equal(["system", "user", "assistant", "user"], seen["byValueTypes"]!.AsArray().Select(type => (string?)type));
        Assert.Equal((string?)seen["byValue"], (string?)seen["second"]);
    }

    [Fact]
    public async Task OpenAiNpmClient_Conversations_CreateRespondInItPageItemsAndDelete_WorkUnchanged()
    {
        var seen = await RunOnDemoServerAsync("conversations.mjs");

        var conversation = seen["conversation"]!;
        string id = (string)conversation["id"]!;
        Assert.Matches("^conv_[0-9a-f]{48}$", id);
        Assert.Equal(("conversation", "jury"), ((string?)conversation["object"], (string?)conversation["metadata"]!["topic"]));
        var (first, second) = (seen["first"]!, seen["second"]!);
        Assert.Equal((id, id), ((string?)first["conversation"], (string?)second["conversation"]));
        Assert.Equal(0, (int)first["usage"]!["input_tokens_details"]!["cached_tokens"]!);
        var firstUsage = first["usage"]!;
        Assert.Equal((int)firstUsage["input_tokens"]! + (int)firstUsage["output_tokens"]! - 1, (int)second["usage"]!["input_tokens_details"]!["cached_tokens"]!);
        Assert.Equal(((string?)seen["chat"]!["text"], (string?)second["text"]), ((string?)second["text"], (string?)second["deltas"]));
        Assert.Equal((int)seen["chat"]!["promptTokens"]!, (int)second["usage"]!["input_tokens"]!);

        var items = seen["items"]!.AsArray();
        Assert.Equal(
            [("user", "Tell me about the jury."), ("user", "Be brief."), ("assistant", (string?)first["text"]), ("user", "And then?"), ("assistant", (string?)second["text"]), ("user", "Thanks.")],
            items.Select(item => ((string?)item!["role"], (string?)item["text"])));
        Assert.Equal((string?)seen["added"]!["id"], (string?)items[^1]!["id"]);
        Assert.Equal(("Tell me about the jury.", (string?)items[0]!["id"]), ((string?)seen["retrieved"]!["text"], (string?)seen["retrieved"]!["id"]));
        Assert.Equal((id, "conversation"), ((string?)seen["afterDelete"]!["id"], (string?)seen["afterDelete"]!["object"]));
        Assert.Equal(items.Take(5).Select(item => (string?)item!["id"]).Reverse(), seen["left"]!.AsArray().Select(item => (string?)item));
        Assert.Equal(("court", "court"), ((string?)seen["updated"]!["topic"], (string?)seen["fetched"]!["topic"]));
        Assert.Equal((id, true, "conversation.deleted"), ((string?)seen["deleted"]!["id"], (bool)seen["deleted"]!["deleted"]!, (string?)seen["deleted"]!["object"]));
        Assert.Equal(404, (int)seen["goneStatus"]!);
    }

    [Fact]
    public async Task AnthropicNpmClient_CreateStreamCountAToolUseAndAnError_WorkUnchanged()
    {
        var seen = await RunOnDemoServerAsync("anthropic.mjs");

        var message = seen["message"]!;
        Assert.StartsWith("msg_", (string?)message["id"], StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty((string?)message["text"]));
        Assert.Equal(("max_tokens", 12), ((string?)message["stopReason"], (int)message["usage"]!["output_tokens"]!));
        var streamed = seen["streamed"]!;
        Assert.Equal(((string?)message["text"], (string?)message["text"]), ((string?)streamed["text"], (string?)streamed["deltas"]));
        Assert.Equal((int)message["usage"]!["input_tokens"]!, (int)seen["count"]!);
        var call = seen["call"]!;
        Assert.Equal(("get_weather", "tool_use", 1), ((string?)call["name"], (string?)call["stopReason"], (int)call["blocks"]!));
        ToolChoiceTests.AssertWeather(call["input"]!.ToJsonString());
        ToolChoiceTests.AssertWeather((string)call["inputDeltas"]!);
        var answered = seen["answered"]!;
        Assert.Equal("text", (string?)Assert.Single(answered["types"]!.AsArray()));
        Assert.True((int)answered["inputTokens"]! > (int)answered["calledInputTokens"]!);
        Assert.Equal((400, "invalid_request_error", true), ((int)seen["refused"]!["status"]!, (string?)seen["refused"]!["type"], (bool)seen["refused"]!["isBadRequest"]!));
    }

    [Fact]
    public async Task OpenAiAgentsSdk_AnAgentCallsItsFunctionToolAndAnswers_OverResponsesAndChat_WorkUnchanged()
    {
        var seen = await RunOnDemoServerAsync("agents.mjs", AutoToolChoiceTests.AutoToolChoiceOn);

        var (responses, chat) = (seen["responses"]!, seen["chat"]!);
        Assert.Equal(["/v1/responses", "/v1/responses"], responses["paths"]!.AsArray().Select(path => (string?)path));
        Assert.Equal(["/v1/chat/completions", "/v1/chat/completions"], chat["paths"]!.AsArray().Select(path => (string?)path));
        foreach (var run in new[] { responses, chat })
        {
            // The first turn forced the call; the SDK reset the choice once the tool had run (auto: the Hermes parser).
            Assert.Equal(["required", null], run["toolChoices"]!.AsArray().Select(choice => (string?)choice));
            Assert.False(string.IsNullOrWhiteSpace((string?)run["finalOutput"]));
            Assert.StartsWith("18 degrees ", (string?)run["result"], StringComparison.Ordinal);
        }

        // The SDK ran the tool once a run, with arguments held to its zod schema (city at most 24 characters, a unit).
        var cities = seen["cities"]!.AsArray();
        Assert.Equal(3, cities.Count);
        Assert.All(cities, city => ToolChoiceTests.AssertWeather(city!.ToJsonString()));
        Assert.Equal(["user", "function_call", "function_call_output"], responses["resent"]!.AsArray().Select(type => (string?)type));
        Assert.Equal(["system", "user", "assistant", "tool"], chat["resent"]!.AsArray().Select(role => (string?)role));
        // Greedy, the same conversation through either API answers the same, and the chat stream's deltas make its answer.
        Assert.Equal((string?)responses["finalOutput"], (string?)chat["finalOutput"]);
        Assert.Equal((string?)chat["finalOutput"], (string?)chat["deltas"]);

        // Run again with previousResponseId (the SDK's server-managed conversation): each request continues the response
        // before it by id with only what is new (the question, then the tool's result), on that response's saved state.
        var continued = seen["continued"]!;
        Assert.Equal((string?)responses["lastResponseId"], (string?)continued["previous"]);
        Assert.Equal("And in Rome?", (string?)Assert.Single(continued["firstInput"]!.AsArray())!["content"]);
        Assert.Equal(["function_call_output"], continued["resent"]!.AsArray().Select(type => (string?)type));
        Assert.False(string.IsNullOrWhiteSpace((string?)continued["finalOutput"]));
        Assert.All(continued["cached"]!.AsArray(), cached => Assert.True((int)cached! > 0, $"{cached} cached tokens"));
    }

    [Fact]
    public async Task LangChainChatOpenAI_InvokeStreamAForcedToolAndStructuredOutput_OverChatAndResponses_WorkUnchanged()
    {
        var seen = await RunOnDemoServerAsync("langchain.mjs", AutoToolChoiceTests.AutoToolChoiceOn);

        Assert.Equal(
            [.. Enumerable.Repeat("/v1/chat/completions", 5), .. Enumerable.Repeat("/v1/responses", 5)],
            seen["paths"]!.AsArray().Select(path => (string?)path));
        var (chat, responses) = (seen["chat"]!, seen["responses"]!);
        foreach (var api in new[] { chat, responses })
        {
            // Greedy: the stream's chunks make the invoked answer.
            Assert.False(string.IsNullOrEmpty((string?)api["said"]));
            Assert.Equal((string?)api["said"], (string?)api["streamed"]);
            Assert.True((int)api["usage"]!["input_tokens"]! > 0);
            var call = api["call"]!;
            Assert.Equal(("get_weather", "tool_call"), ((string?)call["name"], (string?)call["type"]));
            ToolChoiceTests.AssertWeather(call["args"]!.ToJsonString());
            // The result sent back as the tool's message (chat) or function_call_output (Responses), answered in text.
            Assert.False(string.IsNullOrEmpty((string?)api["answered"]));
            Assert.Equal(0, (int)api["answeredCalls"]!);
            var typed = api["typed"]!;
            Assert.Equal(["sunny", "degrees"], typed.AsObject().Select(property => property.Key));
            Assert.True(typed["sunny"]!.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False);
            Assert.Equal(System.Text.Json.JsonValueKind.Number, typed["degrees"]!.GetValueKind());
        }

        // The same one-message prompt through either API: the same greedy answer, the same forced call, the same object.
        Assert.Equal((string?)chat["said"], (string?)responses["said"]);
        Assert.Equal(chat["call"]!["args"]!.ToJsonString(), responses["call"]!["args"]!.ToJsonString());
        Assert.Equal(chat["typed"]!.ToJsonString(), responses["typed"]!.ToJsonString());
    }

    /// <summary>Installs the packages from the lock file, then runs <paramref name="script"/> against the demo model's server (<see cref="ClientScripts"/>).</summary>
    private static async Task<JsonNode> RunOnDemoServerAsync(string script, IReadOnlyDictionary<string, string?>? settings = null)
    {
        if (!ClientScripts.OnPath("node") || !ClientScripts.OnPath("npm"))
        {
            Assert.Skip("node and npm are not installed.");
        }

        await ClientScripts.RunAsync("npm", "ci --no-audit --no-fund", s_clientDirectory, TimeSpan.FromMinutes(5));
        return await ClientScripts.OnDemoServerAsync(
            url => ClientScripts.RunAsync("node", $"{script} {url} {ClientScripts.Model}", s_clientDirectory, TimeSpan.FromMinutes(2)), settings);
    }
}
