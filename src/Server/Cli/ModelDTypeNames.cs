using MambaServe.Engine.Hosting;

namespace MambaServe.Server.Cli;

/// <summary>
/// The <c>--dtype</c> values, read off <see cref="ModelDType"/> so that serve and the benches accept the same names
/// and a new compute type needs no second list.
/// </summary>
public static class ModelDTypeNames
{
    public static string[] All { get; } = Enum.GetNames<ModelDType>().Select(name => name.ToLowerInvariant()).ToArray();

    public static ModelDType Parse(string name) => Enum.Parse<ModelDType>(name, ignoreCase: true);
}
