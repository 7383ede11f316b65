namespace MambaServe.Server.OpenAi.Models;

public sealed record TokenizeResponse(int Count, int MaxModelLen, IReadOnlyList<int> Tokens);
