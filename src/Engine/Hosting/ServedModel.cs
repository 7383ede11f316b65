using MambaServe.Engine.Backends;
using MambaServe.Engine.Backends.Cpu;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Telemetry;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Engine.Hosting;

/// <summary>
/// One loaded model ready to serve: checkpoint, tokenizer (absent for token-id-only folders), CPU runner and a
/// started engine loop. The composition root of the engine, used by the server and the command line alike.
/// </summary>
public sealed class ServedModel : IAsyncDisposable
{
    private readonly IModelRunner _runner;
    private readonly EngineLoop _loop;

    private ServedModel(string name, string directory, MambaConfig config, MambaTokenizer? tokenizer, IModelRunner runner, EngineLoop loop)
    {
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
    public EngineStats Stats => _loop.Stats;

    /// <summary>Ids below this can be sampled: the config's real vocab, further limited by the tokenizer's size.</summary>
    public int SampleableVocab => SampleableVocabOf(Config, Tokenizer);

    public static ServedModel Load(string modelDirectory, string modelName, EngineOptions options, EngineMetrics? metrics = null)
    {
        if (options.DType is not (ModelDType.Auto or ModelDType.Float32))
        {
            // Before the weights are read: an impossible setting fails in milliseconds, not after the load.
            throw new NotSupportedException(
                $"dtype {options.DType.ToString().ToLowerInvariant()} is not supported by the CPU runner, which computes in float32: use auto or float32.");
        }

        var checkpoint = CheckpointLoader.Load(modelDirectory);
        var tokenizer = MambaTokenizer.TryLoad(modelDirectory);
        var config = checkpoint.Config;
        options.Scheduler.Validate();
        var slots = options.StatePool.ResolveSlotCount(config);
        var runner = new CpuModelRunner(config, checkpoint.Weights, slots, options.Threads, options.StatePool.SsmStateDType);
        try
        {
            var loop = new EngineLoop(runner, options.Scheduler,
                new SamplerTokenChooserFactory(SampleableVocabOf(config, tokenizer)),
                new DetokenizingTextStreamFactory(tokenizer), metrics: metrics);
            loop.Start();
            return new ServedModel(modelName, modelDirectory, config, tokenizer, runner, loop);
        }
        catch
        {
            runner.Dispose();
            throw;
        }
    }

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
