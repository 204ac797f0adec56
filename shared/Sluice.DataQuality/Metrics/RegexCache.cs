using System.Text.RegularExpressions;

namespace Sluice.DataQuality.Metrics;

/// <summary>
/// The compiled regular expressions of one evaluation, shared by the main plan and its parallel workers (a
/// <see cref="Regex"/> is thread-safe), so a pattern is compiled at most once per evaluation.
/// </summary>
internal sealed class RegexCache(TimeSpan matchTimeout)
{
    private readonly Dictionary<string, Regex> _byPattern = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public TimeSpan MatchTimeout { get; } = matchTimeout;

    /// <summary>The whole-value regex for a DQDL pattern: DQDL "matches" anchors both ends (Deequ uses ^pattern$).</summary>
    public Regex Get(string pattern)
    {
        lock (_gate)
        {
            if (!_byPattern.TryGetValue(pattern, out var regex))
            {
                regex = new Regex($"\\A(?:{pattern})\\z", RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);
                _byPattern.Add(pattern, regex);
            }
            return regex;
        }
    }
}
