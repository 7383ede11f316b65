using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// An item of a response's <c>output</c>: the assistant's message or a function call. Written as its own type (the
/// derived types are listed without a discriminator, so each item carries only its own <c>type</c> field).
/// </summary>
[JsonDerivedType(typeof(ResponseOutputMessage))]
[JsonDerivedType(typeof(ResponseFunctionCall))]
public abstract record ResponseOutputItem(string Id, string Status);
