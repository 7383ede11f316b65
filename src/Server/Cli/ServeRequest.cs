namespace MambaServe.Server.Cli;

/// <summary>What the command line asks the server to run with.</summary>
/// <param name="ConfigurationArgs">Configuration overrides as <c>--Section:Key=value</c> tokens.</param>
/// <param name="Overrides">The named options' settings, by configuration key; they win over every other source.</param>
public sealed record ServeRequest(string[] ConfigurationArgs, IReadOnlyDictionary<string, string?> Overrides);
