using k8s.Models;
using MambaServe.Engine.Scheduling;
using MambaServe.Server.Hosting;
using Microsoft.Extensions.Configuration;

namespace MambaServe.Deploy.Tests.Infrastructure;

/// <summary>
/// The settings the server would run with in a container: its appsettings.json, then the container's environment
/// (MambaServe__X__Y is key MambaServe:X:Y, as ASP.NET Core reads it), bound to the server's own options types.
/// </summary>
public sealed class ContainerSettings
{
    private readonly IConfiguration _configuration;

    public ContainerSettings(IEnumerable<V1EnvVar>? env)
    {
        var variables = (env ?? []).Where(e => e.Value is not null)
            .Select(e => KeyValuePair.Create(e.Name.Replace("__", ":", StringComparison.Ordinal), (string?)e.Value));
        _configuration = new ConfigurationBuilder()
            .AddJsonFile(DeployFiles.ServerAppSettings, optional: false)
            .AddInMemoryCollection(variables)
            .Build();
    }

    public ServerOptions Server => _configuration.GetSection(ServerOptions.Section).Get<ServerOptions>() ?? new ServerOptions();

    public SchedulerOptions Scheduler =>
        _configuration.GetSection(ServerServices.SchedulerSection).Get<SchedulerOptions>() ?? new SchedulerOptions();

    public string? this[string key] => _configuration[key];
}
