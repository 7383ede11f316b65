using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace MambaServe.Server.Hosting;

/// <summary>
/// Start-up failures a user can fix from one line (an invalid setting, a port already taken), told apart from bugs,
/// whose stack trace is worth printing.
/// </summary>
public static class StartupFailure
{
    /// <summary>The one-line description of <paramref name="ex"/>, or null when it is not a known start-up failure.</summary>
    public static string? Describe(Exception? ex) => ex switch
    {
        null => null,
        OptionsValidationException invalid => $"invalid setting: {string.Join(" ", invalid.Failures)}",
        IOException { InnerException: AddressInUseException } inUse =>
            $"{inUse.Message} Another process listens there: stop it, or choose another --port / --grpc-port.",
        AggregateException { InnerExceptions.Count: 1 } aggregate => Describe(aggregate.InnerException),
        _ => null,
    };

    /// <summary>
    /// The host's own report that its start was cancelled: a model that fails to load stops the application, and when
    /// that races the start of Kestrel the host logs "Hosting failed to start" with the cancellation. The load failure
    /// is the one line that says why; this is its echo.
    /// </summary>
    public static bool IsCancelledStart(Serilog.Events.LogEvent e) =>
        e.Exception is OperationCanceledException
        && e.MessageTemplate.Text.StartsWith("Hosting failed to start", StringComparison.Ordinal);

    /// <summary>Exit code: 2 for a setting the user must change (as for a bad command line), 1 for the rest.</summary>
    public static int ExitCode(Exception ex) => ex is OptionsValidationException ? 2 : 1;
}
