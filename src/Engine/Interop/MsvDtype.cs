namespace MambaServe.Engine.Interop;

/// <summary>Mirror of <c>msv_dtype</c> (mambaserve.h): element type of activations or state.</summary>
internal enum MsvDtype
{
    F32 = 0,
    F16 = 1,
    BF16 = 2,
}
