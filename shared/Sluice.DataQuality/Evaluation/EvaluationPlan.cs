using Sluice.DataQuality.Metrics;

namespace Sluice.DataQuality.Evaluation;

/// <summary>
/// What the single pass over the data must compute: one slot per referenced column, the accumulators rules
/// registered on them (shared when two rules need the same metric), row-end hooks and pending CustomSql work.
/// </summary>
internal sealed class EvaluationPlan(EvaluationOptions options, DateTimeOffset now, RegexCache? sharedRegexes = null)
{
    private readonly Dictionary<string, ColumnSlot> _slots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CompositeKeyCounter> _compositeKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CorrelationCounter> _correlations = new(StringComparer.Ordinal);
    private readonly List<IRowEndHook> _hooks = [];
    private readonly List<CustomSqlCall> _customSql = [];

    public EvaluationOptions Options { get; } = options;
    public DateTimeOffset Now { get; } = now;
    /// <summary>Compiled regexes, shared with the plans of parallel workers.</summary>
    public RegexCache Regexes { get; } = sharedRegexes ?? new RegexCache(options.RegexMatchTimeout);
    public IReadOnlyDictionary<string, ColumnSlot> Slots => _slots;
    public IReadOnlyList<IRowEndHook> Hooks => _hooks;

    /// <summary>Row count and columns of the rows this plan saw; set after its pass.</summary>
    public DatasetFacts Facts { get; set; }

    /// <summary>Why this plan's rows could not be read (its rules then end in Error); null when they were.</summary>
    public string? Error { get; set; }

    public CorrelationCounter Correlation(string first, string second)
    {
        var key = first + "\u0000" + second;
        if (!_correlations.TryGetValue(key, out var counter))
        {
            counter = new CorrelationCounter(Slot(first), Slot(second));
            _correlations.Add(key, counter);
            _hooks.Add(counter);
        }
        return counter;
    }

    public ColumnSlot Slot(string column)
    {
        if (!_slots.TryGetValue(column, out var slot))
        {
            slot = new ColumnSlot(column);
            _slots.Add(column, slot);
        }
        return slot;
    }

    public CompositeKeyCounter CompositeKey(IReadOnlyList<string> columns)
    {
        var key = string.Join('\u0000', columns);
        if (!_compositeKeys.TryGetValue(key, out var counter))
        {
            counter = new CompositeKeyCounter(columns.Select(Slot).ToList());
            _compositeKeys.Add(key, counter);
            _hooks.Add(counter);
        }
        return counter;
    }

    /// <summary>
    /// Adds what a parallel worker's plan accumulated. The worker's plan was built from the same ruleset, so
    /// it holds the same columns, composite keys and metrics, registered in the same order.
    /// </summary>
    public void MergeFrom(EvaluationPlan worker)
    {
        foreach (var (column, slot) in _slots)
        {
            slot.MergeFrom(worker._slots[column]);
        }
        foreach (var (key, counter) in _compositeKeys)
        {
            counter.MergeFrom(worker._compositeKeys[key]);
        }
        foreach (var (key, counter) in _correlations)
        {
            counter.MergeFrom(worker._correlations[key]);
        }
    }

    public CustomSqlCall AddCustomSql(string sql, bool scalar)
    {
        var call = new CustomSqlCall(sql, scalar);
        _customSql.Add(call);
        return call;
    }

    public CustomSqlCall AddReferenceRule(Model.SimpleRule rule)
    {
        var call = new CustomSqlCall(rule.Text, scalar: true, reference: rule);
        _customSql.Add(call);
        return call;
    }

    /// <summary>Starts every CustomSql statement so they run on the engine while the data is read.</summary>
    public void StartCustomSql(CancellationToken cancellationToken)
    {
        var runner = Options.CustomSqlRunner;
        var context = new CustomSqlContext(Options.DatasetName);
        foreach (var call in _customSql)
        {
            call.Start(runner, context, cancellationToken);
        }
    }

    public async Task WaitForCustomSqlAsync()
    {
        foreach (var call in _customSql)
        {
            await call.WaitAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>One CustomSql statement in flight; failures are kept as the rule's error message.</summary>
internal sealed class CustomSqlCall(string sql, bool scalar, Model.SimpleRule? reference = null)
{
    private Task<double>? _task;

    public double Value { get; private set; }

    /// <summary>For a rule comparing with another dataset, the metric's name the engine gave.</summary>
    public string? MetricName { get; private set; }
    public string? Error { get; private set; }

    public void Start(ICustomSqlRunner? runner, CustomSqlContext context, CancellationToken cancellationToken)
    {
        if (runner is null)
        {
            Error = reference is null
                ? "No custom SQL runner is configured to execute CustomSql rules"
                : $"{reference.TypeName} compares with other datasets, which this evaluation was not given";
            return;
        }
        _task = RunAsync(runner, context, cancellationToken);
    }

    public async Task WaitAsync()
    {
        if (_task is null)
        {
            return;
        }
        try
        {
            Value = await _task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Error = reference is null ? $"Custom SQL failed: {ex.Message}" : ex.Message;
        }
    }

    // Async so that a runner throwing synchronously still lands in the task, not in the caller.
    private async Task<double> RunAsync(ICustomSqlRunner runner, CustomSqlContext context, CancellationToken cancellationToken)
    {
        if (reference is not null)
        {
            var metric = await runner.MeasureAgainstReferenceAsync(reference, context, cancellationToken).ConfigureAwait(false);
            MetricName = metric.Name;
            return metric.Value;
        }
        return scalar
            ? await runner.ExecuteScalarAsync(sql, context, cancellationToken).ConfigureAwait(false)
            : await runner.CountRowsAsync(sql, context, cancellationToken).ConfigureAwait(false);
    }
}
