using MambaServe.Engine.Backends;
using MambaServe.Engine.Conversations;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Telemetry;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Engine.Hosting;

/// <summary>
/// One loaded model ready to serve: config, tokenizer (absent for token-id-only folders), a runner from the backend
/// <see cref="EngineOptions.Device"/> selects, and a started engine loop. The composition root of the engine, used by
/// the server and the command line alike.
/// </summary>
public sealed class ServedModel : IAsyncDisposable
{
    private readonly IModelRunner _runner;
    private readonly EngineLoop _loop;

    private ServedModel(string name, string directory, MambaConfig config, MambaTokenizer? tokenizer, IModelRunner runner, EngineLoop loop, byte[] fingerprint)
    {
        Fingerprint = fingerprint;
        Name = name;
        Directory = directory;
        Config = config;
        Tokenizer = tokenizer;
        _runner = runner;
        _loop = loop;
    }

    public string Name { get; }
    public string Directory { get; }
    public MambaConfig Config { get; }
    public MambaTokenizer? Tokenizer { get; }
    public IGenerationEngine Engine => _loop;

    /// <summary>Runs runner work on the engine loop thread (the state store disposes snapshots through it).</summary>
    public IRunnerOperations RunnerOperations => _loop;

    /// <summary>Which model and state layout saved states belong to (<see cref="ModelFingerprint"/>).</summary>
    public byte[] Fingerprint { get; }
    public EngineStats Stats => _loop.Stats;

    /// <summary>What the runner computes on ("cpu (16 threads, ...)").</summary>
    public DeviceDescription Device => _runner.Device;

    /// <summary>Null while healthy; why the device was lost otherwise (health turns 503).</summary>
    public string? FaultReason => _runner.FaultReason;

    /// <summary>Ids below this can be sampled: the config's real vocab, further limited by the tokenizer's size.</summary>
    public int SampleableVocab => SampleableVocabOf(Config, Tokenizer);

    /// <param name="backend">
    /// The backend <see cref="RunnerBackends.Resolve(DeviceKind)"/> already chose for <see cref="EngineOptions.Device"/>
    /// (the server resolves it first to pick the scheduler's limits); null resolves it here.
    /// </param>
    /// <exception cref="BackendUnavailableException">The device asked for cannot run here (checked before any weight is read).</exception>
    /// <exception cref="CheckpointException">The checkpoint cannot be used.</exception>
    public static ServedModel Load(string modelDirectory, string modelName, EngineOptions options, EngineMetrics? metrics = null, IRunnerBackend? backend = null)
    {
        options.Scheduler.Validate();
        backend ??= RunnerBackends.Resolve(options.Device);
        var weights = CheckpointWeightSource.Open(modelDirectory);
        var tokenizer = MambaTokenizer.TryLoad(modelDirectory);
        var fingerprint = ModelFingerprint.OfDirectory(modelDirectory, StateLayout(options));
        return Start(backend, weights, tokenizer, modelName, modelDirectory, options, metrics, fingerprint);
    }

    /// <summary>
    /// A model from weights that have no checkpoint folder (the benchmarks' random weights of a public shape), with
    /// <paramref name="tokenizer"/> borrowed from another model; <paramref name="description"/> names it for the state
    /// store's fingerprint.
    /// </summary>
    public static ServedModel Load(IWeightSource weights, MambaTokenizer? tokenizer, string modelName, string description, EngineOptions options, EngineMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        options.Scheduler.Validate();
        var backend = RunnerBackends.Resolve(options.Device);
        var fingerprint = ModelFingerprint.OfText($"{description}\n{StateLayout(options)}");
        return Start(backend, weights, tokenizer, modelName, string.Empty, options, metrics, fingerprint);
    }

    private static ServedModel Start(
        IRunnerBackend backend, IWeightSource weights, MambaTokenizer? tokenizer, string modelName, string modelDirectory,
        EngineOptions options, EngineMetrics? metrics, byte[] fingerprint)
    {
        var config = weights.Config;
        var sampleable = SampleableVocabOf(config, tokenizer);
        var runner = backend.CreateRunner(new RunnerOptions(weights, options.StatePool, sampleable, options.Threads, options.DType)
        {
            MaxStepTokens = options.Scheduler.MaxBatchTokensPerStep,
        });
        try
        {
            var loop = new EngineLoop(runner, options.Scheduler, new PromptScorer(sampleable),
                new DetokenizingTextStreamFactory(tokenizer), metrics: metrics);
            loop.Start();
            return new ServedModel(modelName, modelDirectory, config, tokenizer, runner, loop, fingerprint);
        }
        catch
        {
            runner.Dispose();
            throw;
        }
    }

    private static string StateLayout(EngineOptions options) => $"ssm {options.StatePool.SsmStateDType}";

    private static int SampleableVocabOf(MambaConfig config, MambaTokenizer? tokenizer) =>
        tokenizer is null ? config.UnpaddedVocabSize : Math.Min(config.UnpaddedVocabSize, tokenizer.VocabCount);

    /// <summary>
    /// Stops the engine loop: no new requests, in-flight ones get <see cref="SchedulerOptions.ShutdownGracePeriod"/>,
    /// then end with <see cref="Generation.FinishReason.Abort"/>; <paramref name="cancellationToken"/> aborts at once.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken) => _loop.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _loop.DisposeAsync();
        _runner.Dispose();
    }
}
