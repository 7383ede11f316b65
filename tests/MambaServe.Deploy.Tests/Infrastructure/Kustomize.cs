using System.ComponentModel;
using System.Diagnostics;
using k8s;

namespace MambaServe.Deploy.Tests.Infrastructure;

/// <summary>
/// Renders a kustomization with `kubectl kustomize` (Debian's kubernetes-client package has it) and loads the result
/// into the Kubernetes client's typed models. MAMBASERVE_KUBECTL names another kubectl binary.
/// </summary>
public static class Kustomize
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);

    public static string Kubectl => Environment.GetEnvironmentVariable("MAMBASERVE_KUBECTL") is { Length: > 0 } path ? path : "kubectl";

    public static async Task<IReadOnlyList<object>> RenderAsync(string directory)
    {
        var yaml = await RunAsync(directory);
        return KubernetesYaml.LoadAllFromString(yaml);
    }

    private static async Task<string> RunAsync(string directory)
    {
        var start = new ProcessStartInfo(Kubectl, ["kustomize", directory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{Kubectl} did not start.");
        }
        catch (Win32Exception ex)
        {
            // Fail, never skip: a CI without kubectl would otherwise pass without checking any manifest.
            throw new InvalidOperationException(
                $"`{Kubectl}` was not found ({ex.Message}). The Kubernetes manifest tests render deploy/kubernetes with " +
                "`kubectl kustomize`: install it with `apt-get install -y kubernetes-client` (.ci/run does), or set " +
                "MAMBASERVE_KUBECTL to a kubectl binary.", ex);
        }

        using (process)
        {
            using var timeout = new CancellationTokenSource(s_timeout);
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"`{Kubectl} kustomize {directory}` failed ({process.ExitCode}): {await stderr}");
            }

            return await stdout;
        }
    }
}
