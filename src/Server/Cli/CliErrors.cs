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
    public static async Task<int> ReportingLoadFailures(Func<Task<int>> run, bool argumentErrorsToo = false)
    {
        try
        {
            return await run();
        }
        catch (Exception e) when (e is CheckpointException or BackendUnavailableException or NotSupportedException || (argumentErrorsToo && e is ArgumentException))
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
    }
}
