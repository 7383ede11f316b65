using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// An item of a response's <c>output</c> (the assistant's message, a function call) or of its input as
/// <c>GET /v1/responses/{id}/input_items</c> lists it (also the input messages and the function calls' outputs).
/// Written as its own type (the derived types are listed without a discriminator, so each item carries only its own
/// <c>type</c> field), its fields in OpenAI's order: type, id, status, then the item's own.
/// </summary>
[JsonDerivedType(typeof(ResponseOutputMessage))]
[JsonDerivedType(typeof(ResponseFunctionCall))]
[JsonDerivedType(typeof(ResponseInputMessage))]
[JsonDerivedType(typeof(ResponseFunctionCallOutput))]
public abstract record ResponseItem([property: JsonPropertyOrder(-2)] string Id, [property: JsonPropertyOrder(-1)] string Status);
