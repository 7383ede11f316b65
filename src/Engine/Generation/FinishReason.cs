namespace MambaServe.Engine.Generation;

/// <summary>Why a sequence ended. <see cref="Stop"/> covers EOS, stop tokens and stop strings (OpenAI's "stop").</summary>
public enum FinishReason
{
    Stop,
    Length,
    Abort,
    Error,
}
