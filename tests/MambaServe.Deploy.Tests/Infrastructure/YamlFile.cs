using YamlDotNet.RepresentationModel;

namespace MambaServe.Deploy.Tests.Infrastructure;

/// <summary>Untyped YAML (compose, Prometheus, Helm values, CRDs the Kubernetes client has no model for).</summary>
public static class YamlFile
{
    public static YamlMappingNode Load(params string[] parts)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(DeployFiles.Read(parts));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    public static YamlNode At(this YamlNode node, params string[] keys)
    {
        foreach (var key in keys)
        {
            node = Child((YamlMappingNode)node, key) ?? throw new KeyNotFoundException($"no '{key}' in the YAML mapping");
        }

        return node;
    }

    // A merge key ("<<: *anchor", as compose files use) supplies the keys a mapping does not set itself.
    private static YamlNode? Child(YamlMappingNode mapping, string key) =>
        mapping.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value
        : mapping.Children.TryGetValue(new YamlScalarNode("<<"), out var merged) ? Child((YamlMappingNode)merged, key)
        : null;

    public static string Text(this YamlNode node) => ((YamlScalarNode)node).Value ?? string.Empty;

    public static IEnumerable<YamlNode> Items(this YamlNode node) => ((YamlSequenceNode)node).Children;
}
