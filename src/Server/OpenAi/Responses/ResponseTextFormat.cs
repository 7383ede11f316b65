namespace MambaServe.Server.OpenAi.Responses;

public sealed record ResponseTextFormat(string Type);
