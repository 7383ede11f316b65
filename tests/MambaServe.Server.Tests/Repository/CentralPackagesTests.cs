using System.Xml.Linq;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Repository;

/// <summary>Directory.Packages.props declares what the projects use, and nothing else (a stale entry reads as a dependency).</summary>
public sealed class CentralPackagesTests
{
    [Fact]
    public void PackageVersions_EveryDeclaredPackage_IsReferencedByAProject()
    {
        var declared = Includes(Path.Combine(RepoPaths.Root, "Directory.Packages.props"), "PackageVersion");
        var referenced = Directory.EnumerateFiles(RepoPaths.Root, "*.*proj", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(RepoPaths.Root, "*.targets", SearchOption.AllDirectories))
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(p => Includes(p, "PackageReference"))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);

        Assert.NotEmpty(declared);
        Assert.All(declared, p => Assert.Contains(p, referenced));
    }

    private static IEnumerable<string> Includes(string file, string element) =>
        XDocument.Load(file).Descendants(element).Select(e => (string?)e.Attribute("Include")).OfType<string>();
}
