namespace MambaServe.Server.OpenAi.Responses;

/// <summary>DELETE /v1/responses/{id} answer.</summary>
public sealed record ResponseDeleted(string Id)
{
    public string Object => "response.deleted";

    public bool Deleted => true;
}
