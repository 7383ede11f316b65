namespace MambaServe.Server.OpenAi;

public sealed class StreamOptions
{
    public bool? IncludeUsage { get; set; }

    /// <summary>vLLM's: with <see cref="IncludeUsage"/>, every chunk also carries the usage so far (its choice's tokens).</summary>
    public bool? ContinuousUsageStats { get; set; }

    /// <summary>The last chunk carries the usage of the whole run.</summary>
    public static bool FinalUsage(StreamOptions? options) => options?.IncludeUsage == true;

    /// <summary>Every chunk carries its choice's usage so far: vLLM asks for both flags.</summary>
    public static bool ContinuousUsage(StreamOptions? options) => options?.IncludeUsage == true && options.ContinuousUsageStats == true;
}
