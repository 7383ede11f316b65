namespace MambaServe.Engine.Interop;

/// <summary>Mirror of <c>msv_status</c> (mambaserve.h): what every native call returns.</summary>
internal enum MsvStatus
{
    Ok = 0,
    InvalidArgument = 1,
    Unsupported = 2,
    Device = 3,
    OutOfMemory = 4,
    DeviceLost = 5,
}
