using System.Text.Json;
using MambaServe.Server.OpenAi;

namespace MambaServe.Server.Anthropic;

/// <summary>
/// Anthropic's structured outputs: <c>output_config.format</c> (or the older <c>output_format</c>),
/// <c>{"type": "json_schema", "schema"}</c>, makes the answer's text a JSON value of that schema, enforced token by
/// token as chat's <c>response_format</c> is. <c>output_config.effort</c> asks how much to think: the served model does
/// not, so any value is a 400. Server-side features (<c>container</c>, <c>mcp_servers</c>, <c>context_management</c>)
/// are 400s too.
/// </summary>
public static class MessagesOutputFormat
{
    /// <summary>The schema the answer follows, with the field it came from (<c>output_config.format</c> or <c>output_format</c>); null for a free answer.</summary>
    public static (JsonElement Schema, string Field)? Read(MessagesRequest request)
    {
        foreach (var (value, name) in new[] { (request.Container, "container"), (request.McpServers, "mcp_servers"), (request.ContextManagement, "context_management") })
        {
            if (value is { ValueKind: not JsonValueKind.Null })
            {
                throw ApiException.BadRequest($"{name} is not supported: this server runs no server-side tools or context management.", name);
            }
        }

        JsonElement? format = null;
        string param = "output_format";
        if (request.OutputConfig is { ValueKind: not JsonValueKind.Null } config)
        {
            if (config.ValueKind != JsonValueKind.Object)
            {
                throw ApiException.BadRequest("output_config must be an object.", "output_config");
            }

            foreach (var field in config.EnumerateObject())
            {
                switch (field.Name)
                {
                    case "format":
                        format = field.Value;
                        param = "output_config.format";
                        break;
                    case "effort" when field.Value.ValueKind != JsonValueKind.Null:
                        throw ApiException.BadRequest("output_config.effort is not supported: the served model does not think.", "output_config.effort");
                    case "effort":
                        break;
                    default:
                        throw ApiException.BadRequest($"output_config.{field.Name} is not supported: output_config takes format.", $"output_config.{field.Name}");
                }
            }
        }

        if (request.OutputFormat is { ValueKind: not JsonValueKind.Null } older)
        {
            format = format is { ValueKind: not JsonValueKind.Null }
                ? throw ApiException.BadRequest("Send output_config.format or output_format, not both.", "output_format")
                : older;
        }

        if (format is not { ValueKind: not JsonValueKind.Null } given)
        {
            return null;
        }

        if (given.ValueKind != JsonValueKind.Object || !given.TryGetProperty("type", out var type) || !type.ValueEquals("json_schema"))
        {
            throw ApiException.BadRequest($"{param} must be {{\"type\": \"json_schema\", \"schema\": ...}}.", $"{param}.type");
        }

        return given.TryGetProperty("schema", out var schema) && schema.ValueKind == JsonValueKind.Object
            ? (schema, param)
            : throw ApiException.BadRequest($"{param}.schema must be a JSON schema (an object).", $"{param}.schema");
    }
}
