namespace MambaServe.Server.OpenAi.Responses;

public sealed record ResponseTextConfig(ResponseTextFormat Format);
