using System.CommandLine;
using MambaServe.Engine.Backends;
using MambaServe.Engine.Loading;

namespace MambaServe.Server.Cli;

/// <summary>
/// The command actions' one rule for expected failures: a model that cannot be found, fetched or read, a device
/// that is not there, or a setting the backend does not support (a dtype), is one line on stderr and exit code 1,
/// never a stack trace.
/// </summary>
public static class CliErrors
{
    public static async Task<int> ReportingLoadFailures(ParseResult parse, Func<Task<int>> run, bool argumentErrorsToo = false)
    {
        try
        {
            return await run();
        }
        catch (Exception e) when (e is CheckpointException or BackendUnavailableException or SettingNotSupportedException || (argumentErrorsToo && e is ArgumentException))
        {
            // The invocation's error writer, as the usage errors use: Console.Error unless a caller (a test) gave another.
            await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
    }
}
