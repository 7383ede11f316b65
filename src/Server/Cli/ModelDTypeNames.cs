using System.CommandLine;
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

    /// <summary>A bench command's <c>--dtype</c> option (default auto), taking only these names.</summary>
    public static Option<string> CreateOption()
    {
        var option = new Option<string>("--dtype")
        {
            Description = "The weights' type where the backend supports it (auto: the backend's choice).",
            DefaultValueFactory = _ => "auto",
        };
        option.AcceptOnlyFromAmong(All);
        return option;
    }
}
