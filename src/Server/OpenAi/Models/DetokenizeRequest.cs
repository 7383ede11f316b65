namespace MambaServe.Server.OpenAi.Models;

/// <summary>POST /detokenize body (vLLM's shape).</summary>
public sealed class DetokenizeRequest
{
    public string? Model { get; set; }
    public List<int>? Tokens { get; set; }
}
