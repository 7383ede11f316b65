namespace MambaServe.Server.OpenAi.Responses;

public sealed record ResponseError(string Code, string Message);
