using System.ComponentModel.DataAnnotations;
using MambaServe.Engine.Backends;

namespace MambaServe.Server.Hosting;

/// <summary>Section <c>MambaServe:Model</c>: which checkpoint to serve and the server's context limit.</summary>
public sealed class ModelOptions
{
    public const string Section = "MambaServe:Model";

    /// <summary>Model folder or Hugging Face hub id; empty serves the embedded demo model.</summary>
    public string? Path { get; set; }

    /// <summary>The id clients send as "model"; empty means the folder's name.</summary>
    public string? Name { get; set; }

    /// <summary>
    /// Maximum prompt plus completion tokens per request. Mamba's state has constant size, so the model has no
    /// intrinsic limit; the server keeps one so that a request's cost stays bounded.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxModelLen { get; set; } = 4096;

    /// <summary>Which backend computes: Auto (a usable GPU, else the CPU), Cpu, Cuda or Rocm (case-insensitive).</summary>
    public DeviceKind Device { get; set; } = DeviceKind.Auto;

    /// <summary>CPU threads for the runner; empty lets the backend choose.</summary>
    [Range(1, 1024)]
    public int? Threads { get; set; }
}
