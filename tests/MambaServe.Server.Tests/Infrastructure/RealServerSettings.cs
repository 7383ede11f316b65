using System.Globalization;

namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>Knobs of the real-process tests, from the environment so CI and a developer can turn them.</summary>
public static class RealServerSettings
{
    /// <summary>An integer from <paramref name="variable"/>, or <paramref name="fallback"/>.</summary>
    public static int Int(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : fallback;
}
