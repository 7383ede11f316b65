using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// <c>response.function_call_arguments.delta</c> (<see cref="Delta"/>: arguments text as it comes) and <c>.done</c>
/// (<see cref="Arguments"/>: the whole text, with the function's <see cref="Name"/>) for the call item <see cref="ItemId"/>.
/// </summary>
public sealed record ResponseFunctionArgumentsEvent(
    string Type,
    int SequenceNumber,
    string ItemId,
    int OutputIndex,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Delta,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Arguments = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name = null)
    : ResponseStreamEvent(Type, SequenceNumber);
