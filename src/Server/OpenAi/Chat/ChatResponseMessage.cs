namespace MambaServe.Server.OpenAi.Chat;

public sealed record ChatResponseMessage(string Content)
{
    public string Role => "assistant";
}
