using System.Globalization;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// GET /v1/responses/{id}'s query: <c>stream</c> (<c>true</c> or <c>false</c>, default false) and, with it,
/// <c>starting_after</c> (the sequence number of the last event the client has, 0 or more; left out: from the first).
/// </summary>
public static class ResponseResumeQuery
{
    /// <summary>Null for a plain GET; else the sequence number to follow after (-1: from the start). Bad values are 400s.</summary>
    public static int? Read(IQueryCollection query)
    {
        string? stream = ResponseItemQuery.Single(query, "stream");
        string? after = ResponseItemQuery.Single(query, "starting_after");
        bool streamed = stream switch
        {
            null or "false" => false,
            "true" => true,
            _ => throw ApiException.BadRequest($"stream must be `true` or `false`; got `{stream}`.", "stream"),
        };
        if (after is null)
        {
            return streamed ? -1 : null;
        }

        if (!streamed)
        {
            throw ApiException.BadRequest("starting_after goes with stream=true.", "starting_after");
        }

        return int.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out int sequence)
            ? sequence
            : throw ApiException.BadRequest($"starting_after must be a sequence number (a whole number from 0); got `{after}`.", "starting_after");
    }
}
