namespace MambaServe.Engine.Interop;

/// <summary>Mirror of <c>msv_status</c> (mambaserve.h): what every native call returns.</summary>
internal enum MsvStatus
{
    Ok = 0,
    InvalidArgument = 1,
    Unsupported = 2,
    Device = 3,
    /// <summary>Device memory ran out; the message names the bytes asked for and free.</summary>
    OutOfMemory = 4,
    /// <summary>A sticky device error: every later call of that model answers it.</summary>
    DeviceLost = 5,
}
