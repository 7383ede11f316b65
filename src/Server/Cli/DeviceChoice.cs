using MambaServe.Engine.Backends;

namespace MambaServe.Server.Cli;

/// <summary>The <c>--device</c> value (one of auto, cpu, cuda, rocm; the option accepts nothing else) as a <see cref="DeviceKind"/>.</summary>
public static class DeviceChoice
{
    public static DeviceKind Parse(string? value) =>
        string.IsNullOrEmpty(value) ? DeviceKind.Auto : Enum.Parse<DeviceKind>(value, ignoreCase: true);
}
