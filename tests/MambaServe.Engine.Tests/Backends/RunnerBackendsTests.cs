using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Tests.Backends;

/// <summary>
/// Backend selection: auto prefers a usable GPU, then the CPU; an explicit choice that cannot be met fails with one
/// line saying why. This test project references no backend, so it also shows a build without one.
/// </summary>
public sealed class RunnerBackendsTests
{
    private sealed class StubBackend(DeviceKind kind, string? unavailable = null) : IRunnerBackend
    {
        public DeviceKind Kind => kind;

        public string? WhyUnavailable() => unavailable;

        public IModelRunner CreateRunner(RunnerOptions options) => throw new NotSupportedException();
    }

    [Fact]
    public void Discover_BuildWithoutBackendAssemblies_FindsNone()
    {
        Assert.Empty(RunnerBackends.Discover());
    }

    [Theory]
    [InlineData(DeviceKind.Cpu, "cpu")]
    [InlineData(DeviceKind.Cuda, "cuda")]
    [InlineData(DeviceKind.Rocm, "rocm")]
    public void Resolve_ExplicitDeviceNotInBuild_ThrowsOneLineNamingIt(DeviceKind device, string name)
    {
        var ex = Assert.Throws<BackendUnavailableException>(() => RunnerBackends.Resolve(device));

        Assert.Equal($"Device '{name}' is not available: this build has no {name} backend.", ex.Message);
    }

    [Fact]
    public void Resolve_AutoWithUsableGpu_TakesTheGpu()
    {
        var cuda = new StubBackend(DeviceKind.Cuda);

        var chosen = RunnerBackends.Resolve(DeviceKind.Auto, [new StubBackend(DeviceKind.Cpu), cuda]);

        Assert.Same(cuda, chosen);
    }

    [Fact]
    public void Resolve_AutoWithGpuThatCannotRun_FallsBackToCpu()
    {
        var cpu = new StubBackend(DeviceKind.Cpu);

        var chosen = RunnerBackends.Resolve(DeviceKind.Auto, [new StubBackend(DeviceKind.Rocm, "no device visible in /dev/kfd"), cpu]);

        Assert.Same(cpu, chosen);
    }

    [Fact]
    public void Resolve_ExplicitGpuThatCannotRun_ThrowsWithItsReason()
    {
        IRunnerBackend[] backends = [new StubBackend(DeviceKind.Cuda, "the NVIDIA driver is not loaded"), new StubBackend(DeviceKind.Cpu)];

        var ex = Assert.Throws<BackendUnavailableException>(() => RunnerBackends.Resolve(DeviceKind.Cuda, backends));

        Assert.Equal("Device 'cuda' is not available: the NVIDIA driver is not loaded", ex.Message);
    }

    [Fact]
    public void Resolve_AutoWithNothingUsable_ListsEveryReasonOnOneLine()
    {
        IRunnerBackend[] backends = [new StubBackend(DeviceKind.Cuda, "no device"), new StubBackend(DeviceKind.Cpu, "kernels missing")];

        var ex = Assert.Throws<BackendUnavailableException>(() => RunnerBackends.Resolve(DeviceKind.Auto, backends));

        Assert.Equal("No backend can run here (cuda: no device; rocm: not in this build; cpu: kernels missing).", ex.Message);
    }

    [Fact]
    public void CoreAssembly_ReferencesNoTorch()
    {
        var references = typeof(IModelRunner).Assembly.GetReferencedAssemblies().Select(a => a.Name!);

        Assert.DoesNotContain(references, name => name.Contains("Torch", StringComparison.OrdinalIgnoreCase));
    }
}
