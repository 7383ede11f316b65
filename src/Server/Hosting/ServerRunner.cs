using MambaServe.Server.Cli;

namespace MambaServe.Server.Hosting;

/// <summary>
/// Runs the server to its end and turns the ways it can end into an exit code: 0 after a normal shutdown, non-zero
/// when the model failed to load or start-up failed (one log line, no stack trace, for the failures a user fixes).
/// </summary>
public static partial class ServerRunner
{
    public static async Task<int> RunAsync(ServeRequest request, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            app = ServerApp.Build(request.ConfigurationArgs, request.Overrides);
        }
        catch (Exception ex) when (StartupFailure.Describe(ex) is { } line)
        {
            // No logger yet: the configuration that builds it is what failed.
            await Console.Error.WriteLineAsync($"error: {line}");
            return StartupFailure.ExitCode(ex);
        }

        // Resolved now: running disposes the host, and with it the service provider.
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MambaServe.Server");
        var models = app.Services.GetRequiredService<ModelHost>();
        try
        {
            await app.RunAsync(cancellationToken);
            return models.LoadFailure is null ? 0 : 1;
        }
        catch (OperationCanceledException) when (models.LoadFailure is not null)
        {
            // The failed load stopped the application while the host was still starting: already said in one line.
            return 1;
        }
        catch (Exception ex) when (StartupFailure.Describe(ex) is { } line)
        {
            models.Abandon();
            LogStartupFailed(logger, line);
            return StartupFailure.ExitCode(ex);
        }
        finally
        {
            await DisposeQuietlyAsync(app);
        }
    }

    private static async Task DisposeQuietlyAsync(WebApplication app)
    {
        try
        {
            await app.DisposeAsync();
        }
        catch (Exception ex) when (StartupFailure.Describe(ex) is not null)
        {
            // Disposing a host that never started resolves its server again, which reads the same invalid options.
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "{Failure}")]
    private static partial void LogStartupFailed(ILogger logger, string failure);
}
