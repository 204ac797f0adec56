using Sluice.DataQuality.Evaluation;
using Sluice.Validation.Storage;

namespace Sluice.Validation.Rulesets;

/// <summary>
/// The metric history dynamic rules compare with (<c>RowCount &gt; avg(last(10))</c>), kept per dataset (the source
/// whose registered ruleset is evaluated) and rule: every evaluation of a source's ruleset records the metrics of its
/// rules (composite operands included) once scored.
/// </summary>
internal sealed class MetricHistory(IValidationStore store, TimeProvider time)
{
    /// <summary>The most values a dynamic rule can ask for (<c>last(1000)</c>).</summary>
    public const int MaxValuesPerMetric = 1000;

    public async Task<IMetricHistory> LoadAsync(string dataset, CancellationToken cancellationToken) =>
        new Loaded(await store.GetMetricHistoryAsync(dataset, MaxValuesPerMetric, cancellationToken).ConfigureAwait(false));

    public Task RecordAsync(string dataset, Scorecard scorecard, CancellationToken cancellationToken)
    {
        var metrics = new List<(string Rule, string Metric, double Value)>();
        foreach (var rule in scorecard.Rules)
        {
            Collect(rule, metrics);
        }
        return store.AddMetricsAsync(dataset, time.GetUtcNow(), metrics, cancellationToken);
    }

    private static void Collect(RuleResult result, List<(string Rule, string Metric, double Value)> metrics)
    {
        if (result.Children.Count > 0)
        {
            foreach (var child in result.Children)
            {
                Collect(child, metrics);
            }
            return;
        }
        foreach (var (name, value) in result.Metrics)
        {
            if (double.IsFinite(value))
            {
                metrics.Add((result.Rule, name, value));
            }
        }
    }

    private sealed class Loaded(IReadOnlyDictionary<(string Rule, string Metric), IReadOnlyList<double>> values) : IMetricHistory
    {
        public IReadOnlyList<double> Values(string rule, string metric) => values.TryGetValue((rule, metric), out var found) ? found : [];
    }
}
