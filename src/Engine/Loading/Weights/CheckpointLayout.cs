namespace MambaServe.Engine.Loading.Weights;

/// <summary>
/// The tensors a Mamba model of a config needs, matched against a checkpoint before any value is read: each present,
/// of the right shape and a float dtype, and nothing else in the checkpoint. Works for both naming schemes (HF
/// <c>backbone.embeddings</c>, original <c>backbone.embedding</c>), whatever the file format. The one place these
/// rules live: <see cref="WeightAssembler"/> (fp32 arrays) and <see cref="CheckpointTensorStream"/> (stored bytes)
/// both read through the plan it returns.
/// </summary>
internal sealed class CheckpointLayout
{
    private const string HfEmbedding = "backbone.embeddings.weight";
    private const string OriginalEmbedding = "backbone.embedding.weight";
    private const string NormF = "backbone.norm_f.weight";
    private const string LmHead = "lm_head.weight";

    private readonly MambaConfig _config;
    private readonly ITensorSource _source;
    private readonly string _directory;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly List<PlannedTensor> _plan = [];

    private CheckpointLayout(MambaConfig config, ITensorSource source, string directory)
    {
        _config = config;
        _source = source;
        _directory = directory;
    }

    /// <summary>Model-level tensors first (embedding), then each layer's, then the final norm and an untied head.</summary>
    /// <exception cref="CheckpointException">Missing, misshapen, non-float or unexpected tensors, named with their file.</exception>
    public static IReadOnlyList<PlannedTensor> Plan(MambaConfig config, ITensorSource source, string directory) =>
        new CheckpointLayout(config, source, directory).Plan();

    private List<PlannedTensor> Plan()
    {
        var c = _config;
        VocabMatrix(TensorRole.Embedding, _source.Names.Contains(HfEmbedding) ? HfEmbedding : OriginalEmbedding);
        for (var i = 0; i < c.NLayer; i++)
        {
            Layer(i);
        }

        Add(TensorRole.NormF, -1, NormF, c.DModel);
        if (c.TieEmbeddings)
        {
            _used.Add(LmHead); // a tied checkpoint may still carry a copy of the head; the embedding is the source of truth
        }
        else
        {
            VocabMatrix(TensorRole.LmHead, LmHead);
        }

        var unexpected = _source.Names.Where(n => !_used.Contains(n)).Order(StringComparer.Ordinal).ToList();
        if (unexpected.Count > 0)
        {
            throw new CheckpointException(
                $"Checkpoint '{_source.FileOf(unexpected[0])}' has tensors a Mamba model with this config does not " +
                $"have (config {_directory}/config.json, {c.NLayer} layers): {string.Join(", ", unexpected.Take(5))}.");
        }

        return _plan;
    }

    private void Layer(int index)
    {
        var p = $"backbone.layers.{index}.";
        var c = _config;
        long inner = c.DInner;
        Add(TensorRole.Norm, index, p + "norm.weight", c.DModel);
        Add(TensorRole.InProj, index, p + "mixer.in_proj.weight", 2 * inner, c.DModel);
        if (c.ProjBias) Add(TensorRole.InProjBias, index, p + "mixer.in_proj.bias", 2 * inner);
        Add(TensorRole.ConvWeight, index, p + "mixer.conv1d.weight", [inner, 1, c.DConv], [inner, c.DConv]);
        if (c.ConvBias) Add(TensorRole.ConvBias, index, p + "mixer.conv1d.bias", inner);
        Add(TensorRole.XProj, index, p + "mixer.x_proj.weight", c.XProjWidth, inner);
        Add(TensorRole.DtProj, index, p + "mixer.dt_proj.weight", inner, c.DtRank);
        Add(TensorRole.DtProjBias, index, p + "mixer.dt_proj.bias", inner);
        Add(TensorRole.ALog, index, p + "mixer.A_log", inner, c.DState);
        Add(TensorRole.D, index, p + "mixer.D", inner);
        Add(TensorRole.OutProj, index, p + "mixer.out_proj.weight", c.DModel, inner);
        if (c.ProjBias) Add(TensorRole.OutProjBias, index, p + "mixer.out_proj.bias", c.DModel);
    }

    private void Add(TensorRole role, int layer, string name, params long[] shape) => Add(role, layer, name, shape, shape);

    private void Add(TensorRole role, int layer, string name, long[] stored, long[] model)
    {
        Require(name);
        var shape = _source.ShapeOf(name);
        if (!shape.SequenceEqual(stored))
        {
            throw ShapeError(name, shape, $"[{string.Join(", ", stored)}]");
        }

        RequireFloats(name);
        _plan.Add(new PlannedTensor(role, layer, name, model, PadVocabRows: false));
    }

    /// <summary>An embedding-shaped matrix stored with either the padded or the unpadded row count.</summary>
    private void VocabMatrix(TensorRole role, string name)
    {
        Require(name);
        var shape = _source.ShapeOf(name);
        var rows = shape.Count == 2 ? shape[0] : -1;
        if (shape.Count != 2 || shape[1] != _config.DModel
            || (rows != _config.VocabSize && rows != _config.UnpaddedVocabSize))
        {
            throw ShapeError(name, shape, $"[{_config.VocabSize} (or unpadded {_config.UnpaddedVocabSize}), {_config.DModel}]");
        }

        RequireFloats(name);
        _plan.Add(new PlannedTensor(role, -1, name, [_config.VocabSize, _config.DModel], PadVocabRows: rows != _config.VocabSize));
    }

    private void Require(string name)
    {
        if (!_source.Names.Contains(name))
        {
            var files = string.Join(", ", _source.Names.Select(_source.FileOf).Distinct().Take(3));
            throw new CheckpointException($"Tensor '{name}' is missing from the checkpoint in '{_directory}' ({files}).");
        }

        _used.Add(name);
    }

    private void RequireFloats(string name)
    {
        if (_source.DTypeOf(name) == TensorDType.Int64)
        {
            throw new CheckpointException($"Tensor '{name}' in '{_source.FileOf(name)}' holds int64 values where floats are expected.");
        }
    }

    private CheckpointException ShapeError(string name, IReadOnlyList<long> actual, string expected) =>
        new($"Tensor '{name}' in '{_source.FileOf(name)}' has shape [{string.Join(", ", actual)}], " +
            $"but the config needs {expected}.");
}
