using System.Text.Json;

namespace MambaServe.Server.OpenAi.Validation;

/// <summary>
/// How the server treats a request field it does not bind: returns why <paramref name="value"/> is refused, or null
/// when the server already does what the value asks (<c>"tools": []</c>, <c>"response_format": {"type": "text"}</c>).
/// </summary>
public delegate string? FieldRule(JsonElement value);
