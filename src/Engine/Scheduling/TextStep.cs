namespace MambaServe.Engine.Scheduling;

/// <summary>
/// Text released by one token: <see cref="Delta"/> is safe to show (whole UTF-8 characters, nothing that might be
/// the start of a stop string); <see cref="Stopped"/> means a stop string matched and the sequence ends here (the
/// delta then holds the text before the stop string only).
/// </summary>
public readonly record struct TextStep(string Delta, bool Stopped);
