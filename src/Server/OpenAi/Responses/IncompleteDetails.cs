namespace MambaServe.Server.OpenAi.Responses;

public sealed record IncompleteDetails(string Reason);
