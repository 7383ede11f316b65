namespace MambaServe.Server.OpenAi.Validation;

/// <summary>One step of a JSON path: an object property (<see cref="Name"/>) or an array item (<see cref="Index"/>).</summary>
public readonly record struct JsonPathSegment(string? Name, int? Index)
{
    public static JsonPathSegment Property(string name) => new(name, null);

    public static JsonPathSegment Item(int index) => new(null, index);
}
