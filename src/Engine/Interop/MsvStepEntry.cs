using System.Runtime.InteropServices;

namespace MambaServe.Engine.Interop;

/// <summary>Mirror of <c>msv_step_entry</c> (mambaserve.h): one sequence's tokens in a step.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MsvStepEntry
{
    /// <summary>const int32_t* [NTokens].</summary>
    public nint Tokens;
    public int Slot;
    public int NTokens;
    /// <summary>Nonzero: every position's logits go to the step's out_logits (entry order, rows concatenated).</summary>
    public int AllLogits;
    /// <summary>This entry's targets are samples [FirstSample, FirstSample + NSamples) of the step.</summary>
    public int FirstSample, NSamples;
    /// <summary>
    /// 0: <see cref="Tokens"/> gives the input. k &gt;= 1: one decode token, the one sampled for target k - 1 of the step
    /// begun just before this one (msv_model_step_begin), read on the device.
    /// </summary>
    public int FromPrevious;
    /// <summary>
    /// const int32_t* [NStopIds], with <see cref="FromPrevious"/> only: when the token read is one of them, it is not
    /// fed and the slot keeps its state.
    /// </summary>
    public nint StopIds;
    public int NStopIds;
    /// <summary>0.</summary>
    public int Reserved;
}
