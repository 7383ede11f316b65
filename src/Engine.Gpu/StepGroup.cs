namespace MambaServe.Engine.Gpu;

/// <summary>
/// One <c>msv_model_step</c> call of a runner step: a run of consecutive parts (entries or pieces of one), their
/// targets and their all-logits rows, each a contiguous range of the step's buffers. A step that fits the model's
/// limits (max_step_tokens, max_decode_batch) is one group.
/// </summary>
internal readonly record struct StepGroup(int FirstPart, int Parts, int FirstSample, int Samples, int FirstLogitRow, int LogitRows);
