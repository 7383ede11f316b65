using System.Text.Json;
using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.Tests.OpenAi.Chat.Templates;

/// <summary>Request messages for template tests, and the sample conversations they render.</summary>
internal static class ChatMessages
{
    public static ChatMessage Msg(string role, string? content, string? name = null) =>
        new() { Role = role, Content = content is null ? null : JsonSerializer.SerializeToElement(content), Name = name };

    /// <summary>System, user, assistant, user.</summary>
    public static List<ChatMessage?> WithSystem() =>
    [
        Msg("system", "You are a pirate."),
        Msg("user", "Hello!"),
        Msg("assistant", "Ahoy there."),
        Msg("user", "What is 2+2?"),
    ];

    /// <summary>User, assistant (padded with spaces, which some templates trim), user.</summary>
    public static List<ChatMessage?> WithoutSystem() =>
    [
        Msg("user", "Hi"),
        Msg("assistant", " Hello "),
        Msg("user", "Bye"),
    ];

    /// <summary>
    /// transformers' rendering, with Qwen 2.5's template, of a get_weather tool (city: string, required), a user asking
    /// the weather in Paris, the assistant's call with city Paris, and the tool's answer 22C.
    /// </summary>
    public const string QwenToolConversation =
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\n"
        + "You may call one or more functions to assist with the user query.\n\n"
        + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
        + "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get weather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}\n"
        + "</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n"
        + "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
        + "<|im_start|>user\nWeather in Paris?<|im_end|>\n"
        + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n"
        + "<|im_start|>user\n<tool_response>\n22C\n</tool_response><|im_end|>\n"
        + "<|im_start|>assistant\n";

    public static string Fixture(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "chat-templates", name));
}
