namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>
/// Tests that read exact metric values run alone: OpenTelemetry's meter listener is process-wide, so a same-named
/// meter of another in-process host that is disposed meanwhile can drop a metric stream from this host's scrape.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoloCollection
{
    public const string Name = "Solo";
}
