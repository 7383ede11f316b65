namespace MambaServe.Server.OpenAi.Models;

public sealed record DetokenizeResponse(string Prompt);
