using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace MambaServe.Deploy.Tests.Infrastructure;

/// <summary>One overlay of deploy/kubernetes rendered and typed, with the lookups the tests share.</summary>
public sealed class RenderedObjects(IReadOnlyList<object> objects)
{
    public static readonly TheoryData<string> Overlays = new() { "cpu", "rocm", "cuda" };

    // Rendered once per overlay and test run: the objects are only read.
    private static readonly ConcurrentDictionary<string, Lazy<Task<RenderedObjects>>> s_rendered = new();

    public IReadOnlyList<object> All => objects;

    public static Task<RenderedObjects> OverlayAsync(string overlay) =>
        s_rendered.GetOrAdd(overlay, o => new Lazy<Task<RenderedObjects>>(async () =>
            new RenderedObjects(await Kustomize.RenderAsync(DeployFiles.Path("kubernetes", "overlays", o))))).Value;

    public T Single<T>() where T : IKubernetesObject<V1ObjectMeta> => Assert.Single(objects.OfType<T>());

    public IEnumerable<T> OfType<T>() => objects.OfType<T>();

    public V1Deployment Deployment => Single<V1Deployment>();

    public V1Container Server => Assert.Single(Deployment.Spec.Template.Spec.Containers, c => c.Name == "mambaserve");

    public int ContainerPort(string name) => Assert.Single(Server.Ports, p => p.Name == name).ContainerPort;

    public string? Env(string name) => Server.Env?.SingleOrDefault(e => e.Name == name)?.Value;

    /// <summary>The claim behind the volume mounted at <paramref name="mountPath"/>.</summary>
    public V1PersistentVolumeClaim ClaimMountedAt(string mountPath)
    {
        var mount = Assert.Single(Server.VolumeMounts, m => m.MountPath == mountPath);
        var volume = Assert.Single(Deployment.Spec.Template.Spec.Volumes, v => v.Name == mount.Name);
        Assert.NotNull(volume.PersistentVolumeClaim);
        return Assert.Single(OfType<V1PersistentVolumeClaim>(), c => c.Metadata.Name == volume.PersistentVolumeClaim.ClaimName);
    }
}
