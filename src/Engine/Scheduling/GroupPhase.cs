namespace MambaServe.Engine.Scheduling;

internal enum GroupPhase
{
    Waiting,
    Prefilling,
    Decoding,
    Done,
}
