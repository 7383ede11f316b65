namespace MambaServe.Server.OpenAi;

/// <summary>OpenAI's error envelope: <c>{"error":{"message","type","param","code"}}</c>.</summary>
public sealed record ErrorBody(ErrorDetail Error)
{
    public static ErrorBody From(ApiException ex) => new(new ErrorDetail(ex.Message, ex.Type, ex.Param, ex.Code));
}
