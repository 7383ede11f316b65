namespace MambaServe.Server.OpenAi;

public sealed class StreamOptions
{
    public bool? IncludeUsage { get; set; }
}
