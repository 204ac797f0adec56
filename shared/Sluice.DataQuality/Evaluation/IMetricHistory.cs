namespace Sluice.DataQuality.Evaluation;

/// <summary>
/// The history that dynamic rules compare with: the values a metric took in earlier evaluations of the same dataset
/// and rule. The caller loads it before the evaluation and records the new scorecard's metrics after it.
/// </summary>
public interface IMetricHistory
{
    /// <summary>Earlier values of <paramref name="metric"/> for the rule written as <paramref name="rule"/>, most recent first.</summary>
    IReadOnlyList<double> Values(string rule, string metric);
}
