namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>The real-process tests: one server process for all, run alone so that their load and timings are their own.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealServerCollection : ICollectionFixture<RealServerFixture>
{
    public const string Name = "RealServer";
}
