namespace MambaServe.Engine.Loading.Weights;

/// <summary>
/// Builds <see cref="MambaWeights"/> from a tensor source, checking every tensor's presence and shape against the
/// config and rejecting tensors a Mamba model of that config does not have. Works for both naming schemes
/// (HF <c>backbone.embeddings</c>, original <c>backbone.embedding</c>), whatever the file format.
/// </summary>
internal sealed class WeightAssembler
{
    private const string HfEmbedding = "backbone.embeddings.weight";
    private const string OriginalEmbedding = "backbone.embedding.weight";
    private const string NormF = "backbone.norm_f.weight";
    private const string LmHead = "lm_head.weight";

    private readonly MambaConfig _config;
    private readonly ITensorSource _source;
    private readonly string _directory;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    private WeightAssembler(MambaConfig config, ITensorSource source, string directory)
    {
        _config = config;
        _source = source;
        _directory = directory;
    }

    public static MambaWeights Assemble(MambaConfig config, ITensorSource source, string directory) =>
        new WeightAssembler(config, source, directory).Assemble();

    private MambaWeights Assemble()
    {
        var embeddingName = _source.Names.Contains(HfEmbedding) ? HfEmbedding : OriginalEmbedding;
        var embedding = ReadVocabMatrix(embeddingName);
        var layers = new MambaLayerWeights[_config.NLayer];
        for (var i = 0; i < layers.Length; i++)
        {
            layers[i] = ReadLayer(i);
        }

        var normF = Read(NormF, _config.DModel);
        float[] lmHead;
        if (_config.TieEmbeddings)
        {
            // A tied checkpoint may still carry a copy of the head; the embedding is the source of truth.
            _used.Add(LmHead);
            lmHead = embedding;
        }
        else
        {
            lmHead = ReadVocabMatrix(LmHead);
        }

        var unexpected = _source.Names.Where(n => !_used.Contains(n)).Order(StringComparer.Ordinal).ToList();
        if (unexpected.Count > 0)
        {
            throw new CheckpointException(
                $"Checkpoint '{_source.FileOf(unexpected[0])}' has tensors a Mamba model with this config does not " +
                $"have (config {_directory}/config.json, {_config.NLayer} layers): {string.Join(", ", unexpected.Take(5))}.");
        }

        return new MambaWeights(embedding, layers, normF, lmHead);
    }

    private MambaLayerWeights ReadLayer(int index)
    {
        var p = $"backbone.layers.{index}.";
        var c = _config;
        var inner = c.DInner;
        return new MambaLayerWeights(
            Norm: Read(p + "norm.weight", c.DModel),
            InProj: Read(p + "mixer.in_proj.weight", 2 * inner, c.DModel),
            InProjBias: c.ProjBias ? Read(p + "mixer.in_proj.bias", 2 * inner) : null,
            ConvWeight: Read(p + "mixer.conv1d.weight", inner, 1, c.DConv),
            ConvBias: c.ConvBias ? Read(p + "mixer.conv1d.bias", inner) : null,
            XProj: Read(p + "mixer.x_proj.weight", c.XProjWidth, inner),
            DtProj: Read(p + "mixer.dt_proj.weight", inner, c.DtRank),
            DtProjBias: Read(p + "mixer.dt_proj.bias", inner),
            ALog: Read(p + "mixer.A_log", inner, c.DState),
            D: Read(p + "mixer.D", inner),
            OutProj: Read(p + "mixer.out_proj.weight", c.DModel, inner),
            OutProjBias: c.ProjBias ? Read(p + "mixer.out_proj.bias", c.DModel) : null);
    }

    /// <summary>
    /// Reads an embedding-shaped matrix stored with either the padded or the unpadded row count; unpadded ones get
    /// zero rows appended so every consumer sees <see cref="MambaConfig.VocabSize"/> rows.
    /// </summary>
    private float[] ReadVocabMatrix(string name)
    {
        Require(name);
        var shape = _source.ShapeOf(name);
        var rows = shape.Count == 2 ? shape[0] : -1;
        if (shape.Count != 2 || shape[1] != _config.DModel
            || (rows != _config.VocabSize && rows != _config.UnpaddedVocabSize))
        {
            throw ShapeError(name, shape, $"[{_config.VocabSize} (or unpadded {_config.UnpaddedVocabSize}), {_config.DModel}]");
        }

        var values = ReadFloat32(name);
        if (rows == _config.VocabSize)
        {
            return values;
        }

        var padded = new float[(long)_config.VocabSize * _config.DModel];
        values.CopyTo(padded, 0);
        return padded;
    }

    private float[] Read(string name, params long[] expected)
    {
        Require(name);
        var shape = _source.ShapeOf(name);
        if (!shape.SequenceEqual(expected))
        {
            throw ShapeError(name, shape, $"[{string.Join(", ", expected)}]");
        }

        return ReadFloat32(name);
    }

    private float[] ReadFloat32(string name)
    {
        var dtype = _source.DTypeOf(name);
        if (dtype == TensorDType.Int64)
        {
            throw new CheckpointException($"Tensor '{name}' in '{_source.FileOf(name)}' holds int64 values where floats are expected.");
        }

        return Float32Converter.ToFloat32(_source.ReadBytes(name), dtype);
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

    private CheckpointException ShapeError(string name, IReadOnlyList<long> actual, string expected) =>
        new($"Tensor '{name}' in '{_source.FileOf(name)}' has shape [{string.Join(", ", actual)}], " +
            $"but the config needs {expected}.");
}
