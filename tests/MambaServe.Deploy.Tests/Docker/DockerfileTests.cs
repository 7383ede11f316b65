using MambaServe.Deploy.Tests.Infrastructure;
using MambaServe.Server.Health;

namespace MambaServe.Deploy.Tests.Docker;

/// <summary>
/// What every image must have, read from the Dockerfiles (deploy/docker/test-images.sh builds and runs them; this
/// is the part that can be checked without a container engine).
/// </summary>
public sealed class DockerfileTests
{
    public static readonly TheoryData<string> Platforms = new() { "cpu", "rocm", "cuda" };

    [Theory]
    [MemberData(nameof(Platforms))]
    public void Dockerfile_EveryPlatform_ExposesTheServersPortsAndChecksReadiness(string platform)
    {
        var lines = Lines(platform);
        var server = new ContainerSettings([]).Server;

        Assert.Contains($"EXPOSE {server.Port} {server.GrpcPort}", lines);
        var healthcheck = string.Join(' ', lines.SkipWhile(l => !l.StartsWith("HEALTHCHECK ", StringComparison.Ordinal)).Take(2));
        Assert.Contains($"{{MambaServe__Server__Port:-{server.Port}}}{HealthRoutes.Ready}\"", healthcheck, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.Contains("MambaServe__Server__Host=0.0.0.0", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Platforms))]
    public void Dockerfile_EveryPlatform_RunsTheServerAsPid1AsANonRootUser(string platform)
    {
        var lines = Lines(platform);

        // Exec form: no shell between the container runtime and the server, so SIGTERM and the exit code pass through.
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"/app/MambaServe.Server.dll\"]", lines);
        Assert.Contains("STOPSIGNAL SIGTERM", lines);
        var user = Assert.Single(lines, l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.DoesNotContain("root", user, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.Contains("HF_HOME=/data/hf", StringComparison.Ordinal));
        Assert.Contains("VOLUME [\"/data/hf\"]", lines);
    }

    [Theory]
    [MemberData(nameof(Platforms))]
    public void Dockerfile_EveryPlatform_TakesItsBasesAsArgumentsAndCarriesOciLabels(string platform)
    {
        var lines = Lines(platform);

        Assert.All(lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)), from => Assert.Contains("${", from, StringComparison.Ordinal));
        foreach (var label in new[] { "title", "description", "source", "version", "revision", "created" })
        {
            Assert.Contains(lines, l => l.Contains($"org.opencontainers.image.{label}=", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("rocm", "ARG GPU_TARGETS=\"gfx90a;gfx942;gfx1100\"")]
    [InlineData("cuda", "ARG CUDA_ARCHITECTURES=\"80;90\"")]
    public void Dockerfile_Gpu_DefaultsToTheDocumentedTargets(string platform, string argument) =>
        Assert.Contains(argument, Lines(platform));

    [Theory]
    [InlineData("rocm")]
    [InlineData("cuda")]
    public void Dockerfile_Gpu_PublishesWithoutTheCpuBackend(string platform) =>
        Assert.Contains(Lines(platform), l => l.Contains("dotnet publish", StringComparison.Ordinal) && l.Contains("-p:MambaServeCpuBackend=false", StringComparison.Ordinal));

    private static List<string> Lines(string platform) =>
        DeployFiles.Read("docker", $"Dockerfile.{platform}").Split('\n').Select(l => l.Trim()).ToList();
}
