using System.ComponentModel.DataAnnotations;
using MambaServe.Engine.Backends;
using MambaServe.Engine.Hosting;

namespace MambaServe.Server.Hosting;

/// <summary>Section <c>MambaServe:Model</c>: which checkpoint to serve and the server's context limit.</summary>
public sealed class ModelOptions
{
    public const string Section = "MambaServe:Model";

    /// <summary>Model folder or Hugging Face hub id; empty serves the embedded demo model.</summary>
    public string? Path { get; set; }

    /// <summary>The id clients send as "model"; empty means the hub id the model was loaded by, else the folder's name.</summary>
    public string? Name { get; set; }

    /// <summary>
    /// Maximum prompt tokens per request (what one request may make the engine prefill), and the default output budget
    /// of chat and responses requests that name none (what is left of it after the prompt). Mamba's state has constant
    /// size, so this is no context wall: a continued response prefills only its new tokens, and the output is limited
    /// by <see cref="MaxGenerationTokens"/>.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxModelLen { get; set; } = 4096;

    /// <summary>
    /// Largest max_tokens / max_output_tokens a request may ask for. Memory per sequence is constant, so a long
    /// generation costs time, not memory; the engine gives every decoding sequence one token per step.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxGenerationTokens { get; set; } = 1_000_000;

    /// <summary>Which backend computes: Auto (a usable GPU, else the CPU), Cpu, Cuda or Rocm (case-insensitive).</summary>
    public DeviceKind Device { get; set; } = DeviceKind.Auto;

    /// <summary>The type the runner computes in; a backend that cannot honour it refuses to start.</summary>
    public ModelDType DType { get; set; } = ModelDType.Auto;

    /// <summary>CPU threads for the runner; empty lets the backend choose.</summary>
    [Range(1, 1024)]
    public int? Threads { get; set; }
}
