using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Gateway.Storage;

namespace Sluice.Gateway.Plans;

/// <summary>
/// Counts admitted requests per plan, key and day, and enforces quotas. Counts live in memory
/// (a quota check is on every request) and are written to the store in batches by
/// <see cref="UsageFlusher"/>; a period's count is seeded once from the store, so quotas survive
/// a restart.
/// </summary>
internal sealed class UsageMeter(IGatewayStore store, TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Plan, string Key, DateOnly PeriodStart), PeriodCount> _periods = new();
    // A counter per plan, key and day, kept across flushes: a request finds its counter without a lock
    // (an AddOrUpdate per request serialized every caller of a key on the dictionary's lock).
    private readonly ConcurrentDictionary<(string Plan, string Key, DateOnly Day), PendingCount> _pending = new();
    private readonly SemaphoreSlim _flush = new(1, 1);

    public DateOnly Today => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    /// <summary>
    /// Counts one request of <paramref name="keyId"/> under <paramref name="plan"/> unless its
    /// quota is spent; false (not counted) when it is.
    /// </summary>
    public async ValueTask<bool> TryConsumeAsync(UsagePlanRecord plan, string keyId, CancellationToken cancellationToken)
    {
        var today = Today;
        if (plan.Quota is { } quota)
        {
            var start = QuotaPeriods.Start(quota.Period, today);
            var count = await GetPeriodAsync(plan, keyId, quota, start, cancellationToken).ConfigureAwait(false);
            if (!count.TryIncrement(QuotaPeriods.LimitFor(plan, quota, start)))
            {
                return false;
            }
        }
        _pending.GetOrAdd((plan.Id, keyId, today), static _ => new PendingCount()).Add(1);
        return true;
    }

    /// <summary>Writes the counts not yet stored.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _flush.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var batch = new List<UsageRecord>();
            var yesterday = Today.AddDays(-1);
            foreach (var (key, count) in _pending)
            {
                var used = count.Take();
                if (used > 0)
                {
                    batch.Add(new UsageRecord(key.Plan, key.Key, key.Day, used));
                }
                else if (key.Day < yesterday)
                {
                    // No request counts into a day before yesterday any more: its counter can go.
                    _pending.TryRemove(new KeyValuePair<(string, string, DateOnly), PendingCount>(key, count));
                }
            }
            try
            {
                await store.AddUsageAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                foreach (var record in batch)
                {
                    _pending.GetOrAdd((record.PlanId, record.KeyId, record.Day), static _ => new PendingCount()).Add(record.Used);
                }
                throw;
            }
        }
        finally
        {
            _flush.Release();
        }
    }

    /// <summary>Forgets the in-memory period counts of a plan (after it is changed or deleted).</summary>
    public void Forget(string planId)
    {
        foreach (var key in _periods.Keys.Where(k => k.Plan == planId))
        {
            _periods.TryRemove(key, out _);
        }
    }

    /// <summary>Forgets every in-memory period count: the next request of each seeds it from the store again.</summary>
    public void ForgetAll() => _periods.Clear();

    private async ValueTask<PeriodCount> GetPeriodAsync(UsagePlanRecord plan, string keyId, QuotaLimit quota, DateOnly start, CancellationToken cancellationToken)
    {
        var key = (plan.Id, keyId, start);
        if (_periods.TryGetValue(key, out var count))
        {
            return count;
        }
        // Seed from what is stored and what is still pending for this period.
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        var stored = await store.GetUsageAsync(plan.Id, start, QuotaPeriods.End(quota.Period, start), cancellationToken).ConfigureAwait(false);
        return _periods.GetOrAdd(key, new PeriodCount(stored.Where(u => u.KeyId == keyId).Sum(u => u.Used)));
    }

    /// <summary>Requests counted and not yet written: added to by requests, taken (reset to 0) by a flush.</summary>
    private sealed class PendingCount
    {
        private long _used;

        public void Add(long used) => Interlocked.Add(ref _used, used);

        public long Take() => Interlocked.Exchange(ref _used, 0);
    }

    private sealed class PeriodCount(long used)
    {
        private long _used = used;

        public bool TryIncrement(long limit)
        {
            while (true)
            {
                var current = Volatile.Read(ref _used);
                if (current >= limit)
                {
                    return false;
                }
                if (Interlocked.CompareExchange(ref _used, current + 1, current) == current)
                {
                    return true;
                }
            }
        }
    }
}

/// <summary>Writes usage counts to the store every second and at shutdown.</summary>
internal sealed class UsageFlusher(UsageMeter meter, ILogger<UsageFlusher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await FlushQuietlyAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await FlushQuietlyAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async Task FlushQuietlyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await meter.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            GatewayLog.UsageFlushFailed(logger, exception);
        }
    }
}
