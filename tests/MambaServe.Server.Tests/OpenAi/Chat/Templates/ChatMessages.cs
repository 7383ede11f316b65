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

    public static string Fixture(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "chat-templates", name));
}
