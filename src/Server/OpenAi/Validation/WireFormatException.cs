using System.Text.Json;

namespace MambaServe.Server.OpenAi.Validation;

/// <summary>
/// Thrown by the wire converters with the rule a value broke, in plain words (<c>must be a finite number</c>); the
/// request reader prefixes the field path that System.Text.Json attaches.
/// </summary>
public sealed class WireFormatException(string rule) : JsonException(rule)
{
    public string Rule { get; } = rule;
}
