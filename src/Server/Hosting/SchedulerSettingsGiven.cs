namespace MambaServe.Server.Hosting;

/// <summary>
/// The <c>MambaServe:Scheduler</c> settings the configuration gives (appsettings, environment, command line), by
/// property name: the ones a GPU's defaults must not replace (<see cref="Engine.Scheduling.GpuSchedulerDefaults"/>).
/// </summary>
public sealed class SchedulerSettingsGiven(IEnumerable<string> names)
{
    private readonly HashSet<string> _names = new(names, StringComparer.OrdinalIgnoreCase);

    public static SchedulerSettingsGiven None { get; } = new([]);

    public static SchedulerSettingsGiven From(IConfiguration config) =>
        new(config.GetSection(ServerServices.SchedulerSection).GetChildren().Where(c => c.Value is not null).Select(c => c.Key));

    public bool Contains(string name) => _names.Contains(name);
}
