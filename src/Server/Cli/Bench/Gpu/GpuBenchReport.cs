namespace MambaServe.Server.Cli.Bench.Gpu;

/// <summary>
/// One decode measurement: a step of <see cref="Batch"/> one-token entries, each sampled, its tokens written by the
/// host and the step waited for (median and mean); and, on a runner that runs ahead, <see cref="MsAhead"/>: the time
/// per step of steps each begun before the last one ended, its tokens taken from that one on the device, as the
/// engine runs decodes (docs/gpu-engine.md section 2).
/// </summary>
public sealed record DecodeFigure(int Batch, double MsMedian, double MsMean, double TokensPerSecond, double? MsAhead = null);

/// <summary>One step prefilling <see cref="Batch"/> prompts of <see cref="Tokens"/> tokens.</summary>
public sealed record PrefillFigure(int Batch, int Tokens, double MsMedian);

/// <summary>
/// The seed's experiment at one batch size: <see cref="Batch"/> concurrent requests through the engine, each a
/// prompt of <see cref="PromptTokens"/> and <see cref="GeneratedTokens"/> sampled tokens; wall seconds from the first
/// submission to the last token, and the peak device memory in use (sampled on a side thread). Null seconds: not run,
/// <see cref="Note"/> says why. <see cref="Steps"/> engine steps ran; <see cref="RunnerMsPerStep"/> is the mean time
/// inside the runner's step, <see cref="HostMsPerStep"/> the rest of the wall time per step (what the engine adds),
/// under a scheduler budget of <see cref="StepTokens"/> tokens a step.
/// </summary>
public sealed record SeedFigure(int Batch, int PromptTokens, int GeneratedTokens, double? Seconds, long? PeakDeviceBytes, string? Note = null,
    int? Steps = null, double? RunnerMsPerStep = null, double? HostMsPerStep = null, int? StepTokens = null);

/// <summary>All figures of one state dtype.</summary>
public sealed record GpuBenchRun(
    string State,
    string Device,
    double LoadSeconds,
    long HostPeakBytesAfterLoad,
    long DeviceBytesInUseAfterLoad,
    IReadOnlyList<DecodeFigure> Decode,
    IReadOnlyList<PrefillFigure> Prefill,
    IReadOnlyList<SeedFigure> Seed);

/// <summary>What <c>bench gpu</c> writes as JSON (and draws).</summary>
public sealed record GpuBenchReport(
    DateTimeOffset Date,
    string Checkpoint,
    long Parameters,
    long Bf16WeightBytes,
    IReadOnlyList<GpuBenchRun> Runs);
