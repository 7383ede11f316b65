namespace MambaServe.Server.OpenAi.Responses;

public sealed record ResponseReasoning(string? Effort, string? Summary);
