using MambaServe.Engine.Generation;

namespace MambaServe.Server.Hosting;

/// <summary>Engine finish reasons as OpenAI (and vLLM, for abort) spell them.</summary>
public static class FinishReasons
{
    public static string? ToWire(FinishReason? reason) => reason switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        FinishReason.Abort => "abort",
        FinishReason.Error => "error",
        _ => null,
    };
}
