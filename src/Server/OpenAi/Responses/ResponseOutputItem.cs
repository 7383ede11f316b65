using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// An item of a response's <c>output</c>: the assistant's message or a function call. Written as its own type (the
/// derived types are listed without a discriminator, so each item carries only its own <c>type</c> field), its fields
/// in OpenAI's order: type, id, status, then the item's own.
/// </summary>
[JsonDerivedType(typeof(ResponseOutputMessage))]
[JsonDerivedType(typeof(ResponseFunctionCall))]
public abstract record ResponseOutputItem([property: JsonPropertyOrder(-2)] string Id, [property: JsonPropertyOrder(-1)] string Status);
