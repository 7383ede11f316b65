namespace MambaServe.Server.OpenAi;

public sealed record ErrorDetail(string Message, string Type, string? Param, string? Code);
