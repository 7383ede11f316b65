using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// A list request's query (<c>limit</c> 1-100, default 20; <c>order</c> <c>asc</c> or <c>desc</c>, default desc;
/// <c>after</c> and <c>before</c>, item ids to page from) and the page it selects from a list. With only
/// <c>before</c> the page is the items just before it, so that paging back and forth gives the same pages. A bad
/// value, or a cursor that names no item of the list, is a 400 naming the parameter.
/// </summary>
public sealed record ResponseItemQuery(int Limit, bool Descending, string? After, string? Before)
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public static ResponseItemQuery Read(IQueryCollection query)
    {
        int limit = DefaultLimit;
        if (Single(query, "limit") is { } text
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            throw ApiException.BadRequest($"limit must be a whole number from 1 to {MaxLimit}; got `{text}`.", "limit");
        }

        var order = Single(query, "order") ?? "desc";
        if (order is not ("asc" or "desc"))
        {
            throw ApiException.BadRequest($"order must be `asc` or `desc`; got `{order}`.", "order");
        }

        RefuseInclude(query);
        return new ResponseItemQuery(limit, order == "desc", Single(query, "after"), Single(query, "before"));
    }

    public ResponseItemList Page(IReadOnlyList<ResponseItem> items)
    {
        var ordered = Descending ? items.Reverse().ToList() : items.ToList();
        int start = After is { } after ? IndexOf(ordered, after, "after") + 1 : 0;
        int end = Before is { } before ? IndexOf(ordered, before, "before") : ordered.Count;
        var window = end > start ? ordered[start..end] : [];
        var data = After is null && Before is not null ? window.TakeLast(Limit).ToList() : window.Take(Limit).ToList();
        return new ResponseItemList(data, data.FirstOrDefault()?.Id, data.LastOrDefault()?.Id, window.Count > Limit);
    }

    private static int IndexOf(List<ResponseItem> items, string id, string param)
    {
        int index = items.FindIndex(item => item.Id == id);
        return index >= 0 ? index : throw ApiException.BadRequest($"{param}: no item with id `{id}` in this list.", param);
    }

    /// <summary>The <c>include</c> query parameter asks for optional fields of items; they have none here, so any value is a 400.</summary>
    public static void RefuseInclude(IQueryCollection query)
    {
        if (query.TryGetValue("include", out var include) && include.Any(v => !string.IsNullOrEmpty(v)))
        {
            throw ApiException.BadRequest("include: items have no optional fields here; leave it out.", "include");
        }
    }

    /// <summary>A parameter given at most once (a 400 otherwise); an empty value counts as left out.</summary>
    internal static string? Single(IQueryCollection query, string name)
    {
        StringValues values = query[name];
        return values.Count switch
        {
            0 => null,
            1 => string.IsNullOrEmpty(values[0]) ? null : values[0],
            _ => throw ApiException.BadRequest($"{name} may be given once.", name),
        };
    }
}
