using System.Text.Json;
using MambaServe.Engine.Loading.Config;

namespace MambaServe.Engine.Loading;

/// <summary>
/// Reads <c>config.json</c> of a model directory in either format (HF <c>MambaForCausalLM</c>, recognised by
/// <c>hidden_size</c>; original state-spaces, recognised by <c>d_model</c>) into a <see cref="MambaConfig"/>.
/// Needs no weights and no libtorch.
/// </summary>
public static class CheckpointConfigReader
{
    public const string ConfigFileName = "config.json";

    /// <exception cref="CheckpointException">The config is missing, malformed, or describes an unsupported model.</exception>
    public static MambaConfig Read(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, ConfigFileName);
        if (!File.Exists(path))
        {
            throw new CheckpointException($"Config '{path}' does not exist; '{modelDirectory}' is not a model directory.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions
            {
                AllowTrailingCommas = true,
                CommentHandling = JsonCommentHandling.Skip,
            });
        }
        catch (JsonException ex)
        {
            throw new CheckpointException($"Config '{path}' is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException($"Config '{path}' is not a JSON object.");
            }

            var json = new JsonConfigObject(path, document.RootElement);
            // hidden_size decides: converted "-hf" configs may still carry the original d_model / n_layer keys.
            if (json.Has("hidden_size"))
            {
                return HfConfigParser.Parse(json);
            }

            return json.Has("d_model")
                ? OriginalConfigParser.Parse(json)
                : throw json.Error("hidden_size", "neither 'hidden_size' (HF MambaForCausalLM) nor 'd_model' " +
                    "(original state-spaces) is present; not a Mamba config.");
        }
    }
}
