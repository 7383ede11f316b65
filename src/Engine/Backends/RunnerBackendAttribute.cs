namespace MambaServe.Engine.Backends;

/// <summary>Names an <see cref="IRunnerBackend"/> implementation (with a public parameterless constructor) of this assembly.</summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class RunnerBackendAttribute(Type backendType) : Attribute
{
    public Type BackendType { get; } = backendType;
}
