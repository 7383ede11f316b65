namespace MambaServe.Server.OpenAi.Models;

/// <summary>POST /tokenize body (vLLM's shape).</summary>
public sealed class TokenizeRequest
{
    public string? Model { get; set; }
    public string? Prompt { get; set; }
}
