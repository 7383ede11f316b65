namespace MambaServe.Deploy.Tests.Infrastructure;

/// <summary>Test classes that check deployment files against one in-process server (the model loads once).</summary>
[CollectionDefinition(Name)]
public sealed class RunningServerCollection : ICollectionFixture<RunningServer>
{
    public const string Name = "running server";
}
