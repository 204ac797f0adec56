using Sluice.Gateway.Storage;

namespace Sluice.Gateway.Plans;

/// <summary>Quota periods in UTC: a day from midnight, a week from Monday, a month from its first day.</summary>
internal static class QuotaPeriods
{
    public static DateOnly Start(QuotaPeriodKind period, DateOnly day) => period switch
    {
        QuotaPeriodKind.Day => day,
        QuotaPeriodKind.Week => day.AddDays(-(((int)day.DayOfWeek + 6) % 7)),
        _ => new DateOnly(day.Year, day.Month, 1),
    };

    public static DateOnly End(QuotaPeriodKind period, DateOnly start) => period switch
    {
        QuotaPeriodKind.Day => start,
        QuotaPeriodKind.Week => start.AddDays(6),
        _ => start.AddMonths(1).AddDays(-1),
    };

    /// <summary>The limit in the period starting <paramref name="start"/>: the offset is taken from the period the plan was created in.</summary>
    public static long LimitFor(UsagePlanRecord plan, QuotaLimit quota, DateOnly start)
    {
        var created = DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(plan.CreatedUnixMs).UtcDateTime);
        return Start(quota.Period, created) == start ? Math.Max(0, quota.Limit - quota.Offset) : quota.Limit;
    }
}
