namespace MambaServe.Server.OpenAi;

public sealed class StreamOptions
{
    public bool? IncludeUsage { get; set; }

    /// <summary>vLLM's: with <see cref="IncludeUsage"/>, every chunk also carries the usage so far (its choice's tokens).</summary>
    public bool? ContinuousUsageStats { get; set; }

    /// <summary>
    /// OpenAI's: pad each streamed chunk with random characters (a side-channel mitigation). This server sends no such
    /// padding: false (what clients send to save bandwidth) is what it does; true is a 400.
    /// </summary>
    public bool? IncludeObfuscation { get; set; }

    /// <summary>A 400 for what the server does not do (<see cref="IncludeObfuscation"/> true).</summary>
    public static void Check(StreamOptions? options)
    {
        if (options?.IncludeObfuscation == true)
        {
            throw new ApiException(400, "stream_options.include_obfuscation is not supported: this server does not pad streamed chunks; send false or leave it out.",
                ApiException.InvalidRequest, "stream_options.include_obfuscation", "unsupported_parameter");
        }
    }

    /// <summary>The last chunk carries the usage of the whole run.</summary>
    public static bool FinalUsage(StreamOptions? options) => options?.IncludeUsage == true;

    /// <summary>Every chunk carries its choice's usage so far: vLLM asks for both flags.</summary>
    public static bool ContinuousUsage(StreamOptions? options) => options?.IncludeUsage == true && options.ContinuousUsageStats == true;
}
