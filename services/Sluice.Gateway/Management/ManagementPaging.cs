namespace Sluice.Gateway.Management;

/// <summary>
/// The model's limit/position paging: items in a stable order, "limit" from 1 to 500 (25 when
/// absent, as API Gateway), "position" the opaque key of the first item of the next page.
/// </summary>
internal static class ManagementPaging
{
    public const int DefaultLimit = 25, MaxLimit = 500;

    public static (IReadOnlyList<T> Page, string? Position) Page<T>(ManagementRequest request, IEnumerable<T> items, Func<T, string> key)
    {
        var limit = request.Query("limit") is { } text ? ManagementRequest.ParseInt("limit", text, 1, MaxLimit) : DefaultLimit;
        var ordered = items.OrderBy(key, StringComparer.Ordinal).ToList();
        var start = 0;
        if (request.Query("position") is { Length: > 0 } position)
        {
            start = ordered.FindIndex(item => string.CompareOrdinal(key(item), position) >= 0);
            if (start < 0)
            {
                start = ordered.Count;
            }
        }
        var page = ordered.Skip(start).Take(limit).ToList();
        return (page, start + limit < ordered.Count ? key(ordered[start + limit]) : null);
    }
}
