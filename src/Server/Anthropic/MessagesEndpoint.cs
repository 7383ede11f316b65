using System.Text;
using MambaServe.Engine.Telemetry;
using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi;
using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.Anthropic;

/// <summary>
/// POST /v1/messages and /v1/messages/count_tokens: Anthropic's Messages API, so that Anthropic's SDKs and the tools
/// built on them work unchanged (as with vLLM's and llama.cpp's servers). The request is answered as the chat request
/// it maps to (<see cref="MessagesChatMapper"/>): the same template, tool grammars and parsers, and sampling; the
/// answer is a Message (<see cref="MessagesAnswer"/>), or its events when streamed (<see cref="MessagesStreamer"/>).
/// Errors come in Anthropic's shape (<see cref="AnthropicErrorBody"/>).
/// </summary>
public static class MessagesEndpoint
{
    public static async Task CreateAsync(HttpContext http, ApiServices api)
    {
        var ct = http.RequestAborted;
        var request = await OpenAiJson.ReadAsync<MessagesRequest>(http.Request, ct);
        var model = api.Models.Require(request.Model);
        PromptBuilder.RequireTokenizer(model, "messages");
        var chat = MessagesChatMapper.ToChat(request);
        var format = MessagesOutputFormat.Read(request);
        string id = RequestIds.Create(http, "msg_", null);
        var (tool, autoTools, requiredTools) = ToolAnswerChoice.Decide(chat, api.ServerOptions,
            "send tool_choice {\"type\": \"tool\", \"name\": ...}, {\"type\": \"any\"} or {\"type\": \"none\"}");
        if (format is { Field: var field } && (tool is not null || autoTools || requiredTools))
        {
            throw ApiException.BadRequest(
                $"{field} goes with a text answer: with tools the model may call, the calls follow their input schemas; send tool_choice none.", field);
        }

        var prompt = PromptBuilder.FromText(model, ChatPrompt.Render(chat, model, api.ServerOptions, tool, withTools: autoTools || requiredTools), "messages");
        int maxTokens = chat.MaxTokens!.Value;
        PromptBuilder.CheckLength(prompt, maxTokens, api.ModelOptions, "messages");
        var sampling = SamplingMapper.Map(chat, maxTokens, null, null, model.SampleableVocab);
        var constraint = requiredTools ? StructuredOutputMapper.MapRequiredTools(chat.Tools!, chat.ParallelToolCalls != false, chat, model, "input_schema")
            : tool is not null ? StructuredOutputMapper.MapTool(tool, chat, model, "input_schema")
            : format is { } f ? StructuredOutputMapper.MapSchema(f.Schema, $"{f.Field}.schema", model)
            : null;
        await using var run = await GenerationRun.StartAsync(
            api.RunContext(model, id, TelemetryNames.OperationChat), [prompt], sampling, 1, ct, constraint: constraint);
        var answer = new ChatAnswer(null, null, tool)
        {
            CallIds = tool is null ? [] : [ChatToolCall.NewId()],
            Auto = autoTools ? AutoToolCalls.Parsing(1, ToolCallParsers.Reader(api.ServerOptions, chat.ParallelToolCalls != false)) : requiredTools ? AutoToolCalls.Required(1) : null,
        };
        var stops = new MessagesStopSequences(request.StopSequences);
        if (request.Stream == true)
        {
            await MessagesStreamer.StreamAsync(http, run, id, model.Name, answer, stops);
        }
        else
        {
            await RespondAsync(http, run, id, model.Name, answer, stops);
        }
    }

    /// <summary>POST /v1/messages/count_tokens: the tokens of the prompt the same request would prefill, tools included.</summary>
    public static async Task CountTokensAsync(HttpContext http, ApiServices api)
    {
        var request = await OpenAiJson.ReadAsync<MessagesRequest>(http.Request, http.RequestAborted);
        var model = api.Models.Require(request.Model);
        PromptBuilder.RequireTokenizer(model, "messages");
        var chat = MessagesChatMapper.ToChat(request, countOnly: true);
        bool mayCall = chat.Tools is { Count: > 0 } && !(chat.ToolChoice is { } choice && choice.ValueKind == System.Text.Json.JsonValueKind.String && choice.ValueEquals("none"));
        var prompt = PromptBuilder.FromText(model, ChatPrompt.Render(chat, model, api.ServerOptions, withTools: mayCall), "messages");
        await OpenAiJson.WriteAsync(http.Response, new MessagesTokenCount(prompt.Tokens.Count));
    }

    private static async Task RespondAsync(HttpContext http, GenerationRun run, string id, string model, ChatAnswer answer, MessagesStopSequences stops)
    {
        var text = new StringBuilder();
        string? finish = null;
        try
        {
            await foreach (var item in run.ReadAllAsync(http.RequestAborted))
            {
                text.Append(item.Update.TextDelta);
                finish = FinishReasons.ToWire(item.Update.Finish) ?? finish;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            run.MarkFailed(ex);
            throw;
        }

        var (content, matched) = stops.Cut(text.ToString(), finish == "stop");
        var message = answer.Message(0, content);
        var blocks = MessagesAnswer.Blocks(message);
        string stopReason = MessagesAnswer.StopReason(answer.Finish(0, finish), blocks.OfType<MessagesToolUseBlock>().Any(), matched);
        await OpenAiJson.WriteAsync(http.Response, new MessagesResponse(
            id, model, blocks, stopReason, matched, new MessagesUsage(run.PromptTokens, run.CompletionTokens)));
    }
}
