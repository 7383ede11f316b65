using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MambaServe.Engine.Loading;

/// <summary>
/// Writes a random-weight checkpoint of any shape as HF writes one (config.json + bf16 model.safetensors; a FalconMamba
/// config for a shape with <see cref="MambaConfig.MixerRmsEpsilon"/>),
/// with <see cref="RandomCheckpoint"/>'s distributions, streamed: values are drawn in parallel blocks (each with its
/// own generator, so the file depends only on the seed) straight into the file, so the mamba-2.8b shape (5.5 GB) is
/// made in seconds with a few MB of memory, where the model cannot be downloaded. For benchmarks and device tests.
/// </summary>
public static class RandomCheckpointWriter
{
    private const int BlockElements = 1 << 16;
    private const int ChunkBlocks = 512;

    private sealed record Planned(string Name, TensorRole Role, long[] Shape)
    {
        public long Count => Shape.Aggregate(1L, (a, b) => a * b);
    }

    /// <summary>Writes <paramref name="directory"/>/config.json and model.safetensors; returns the bytes of weights.</summary>
    public static long Write(string directory, MambaConfig config, int seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.ProjBias)
        {
            throw new ArgumentException("Only the public checkpoints' layout is written: no projection bias.", nameof(config));
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), ConfigJson(config));
        var tensors = Plan(config);
        using var file = new FileStream(Path.Combine(directory, CheckpointLoader.SafetensorsFileName), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        WriteHeader(file, tensors);
        var buffer = new byte[(long)BlockElements * ChunkBlocks * 2];
        long bytes = 0;
        for (int t = 0; t < tensors.Count; t++)
        {
            var tensor = tensors[t];
            for (long start = 0; start < tensor.Count; start += (long)BlockElements * ChunkBlocks)
            {
                int count = (int)Math.Min((long)BlockElements * ChunkBlocks, tensor.Count - start);
                Parallel.For(0, (count + BlockElements - 1) / BlockElements, block =>
                    Fill(buffer.AsSpan(block * BlockElements * 2, Math.Min(BlockElements, count - block * BlockElements) * 2),
                        tensor.Role, config, seed, t, start + (long)block * BlockElements));
                file.Write(buffer, 0, count * 2);
                bytes += count * 2L;
            }
        }

        return bytes;
    }

    private static List<Planned> Plan(MambaConfig c)
    {
        long d = c.DModel, inner = c.DInner;
        var list = new List<Planned> { new("backbone.embeddings.weight", TensorRole.Embedding, [c.VocabSize, d]) };
        for (int i = 0; i < c.NLayer; i++)
        {
            var p = $"backbone.layers.{i}.";
            list.Add(new(p + "norm.weight", TensorRole.Norm, [d]));
            list.Add(new(p + "mixer.in_proj.weight", TensorRole.InProj, [2 * inner, d]));
            list.Add(new(p + "mixer.conv1d.weight", TensorRole.ConvWeight, [inner, 1, c.DConv]));
            if (c.ConvBias) list.Add(new(p + "mixer.conv1d.bias", TensorRole.ConvBias, [inner]));
            list.Add(new(p + "mixer.x_proj.weight", TensorRole.XProj, [c.XProjWidth, inner]));
            list.Add(new(p + "mixer.dt_proj.weight", TensorRole.DtProj, [inner, c.DtRank]));
            list.Add(new(p + "mixer.dt_proj.bias", TensorRole.DtProjBias, [inner]));
            list.Add(new(p + "mixer.A_log", TensorRole.ALog, [inner, c.DState]));
            list.Add(new(p + "mixer.D", TensorRole.D, [inner]));
            list.Add(new(p + "mixer.out_proj.weight", TensorRole.OutProj, [d, inner]));
        }

        list.Add(new("backbone.norm_f.weight", TensorRole.NormF, [d]));
        if (!c.TieEmbeddings) list.Add(new("lm_head.weight", TensorRole.LmHead, [c.VocabSize, d]));
        return list;
    }

    /// <summary>bf16 values of elements [first, first + dest.Length / 2) of a tensor, from a generator of (seed, tensor, first).</summary>
    private static void Fill(Span<byte> dest, TensorRole role, MambaConfig c, int seed, int tensor, long first)
    {
        ulong state = SplitMix((ulong)seed * 0x9E3779B97F4A7C15UL ^ ((ulong)tensor << 40) ^ (ulong)first);
        float scale = RandomCheckpoint.UniformScale(role, c);
        for (int i = 0; i < dest.Length / 2; i++)
        {
            state = SplitMix(state);
            float u = (state >> 40) * (1f / (1 << 24));
            float value = role switch
            {
                TensorRole.Norm or TensorRole.NormF or TensorRole.D => 1f,
                TensorRole.ALog => RandomCheckpoint.ALog(first + i, c),
                TensorRole.DtProjBias => RandomCheckpoint.DtProjBias(u),
                _ => (u * 2 - 1) * scale,
            };
            BinaryPrimitives.WriteUInt16LittleEndian(dest[(2 * i)..], ToBFloat16(value));
        }
    }

    private static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>Round to nearest even, as torch converts fp32 to bf16.</summary>
    private static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    private static void WriteHeader(Stream file, List<Planned> tensors)
    {
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        foreach (var t in tensors)
        {
            header[t.Name] = new JsonObject
            {
                ["dtype"] = "BF16",
                ["shape"] = new JsonArray([.. t.Shape.Select(s => (JsonNode)s)]),
                ["data_offsets"] = new JsonArray(offset, offset + t.Count * 2),
            };
            offset += t.Count * 2;
        }

        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8; // the data starts 8-byte aligned, as safetensors writes it
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, padded);
        file.Write(length);
        file.Write(json);
        file.Write(Enumerable.Repeat((byte)' ', padded - json.Length).ToArray());
    }

    private static string ConfigJson(MambaConfig c)
    {
        var config = Config(c);
        if (c.MixerRmsEpsilon is { } eps)
        {
            config["architectures"] = new JsonArray("FalconMambaForCausalLM");
            config["model_type"] = "falcon_mamba";
            config["mixer_rms_eps"] = eps;
        }

        return config.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonObject Config(MambaConfig c) => new()
    {
        ["architectures"] = new JsonArray("MambaForCausalLM"),
        ["model_type"] = "mamba",
        ["hidden_size"] = c.DModel,
        ["intermediate_size"] = c.DInner,
        ["num_hidden_layers"] = c.NLayer,
        ["vocab_size"] = c.VocabSize,
        ["state_size"] = c.DState,
        ["conv_kernel"] = c.DConv,
        ["expand"] = c.DInner / c.DModel,
        ["time_step_rank"] = c.DtRank,
        ["use_bias"] = c.ProjBias,
        ["use_conv_bias"] = c.ConvBias,
        ["tie_word_embeddings"] = c.TieEmbeddings,
        ["layer_norm_epsilon"] = c.NormEpsilon,
        ["residual_in_fp32"] = c.ResidualInFp32,
        ["hidden_act"] = "silu",
        ["bos_token_id"] = c.BosTokenId,
        ["eos_token_id"] = c.EosTokenId,
        ["pad_token_id"] = c.PadTokenId,
        ["dtype"] = "bfloat16",
    };
}
