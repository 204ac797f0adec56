using Sluice.DataQuality.Parsing;
using Sluice.Validation.References;
using Sluice.Validation.Storage;
using DqdlRuleset = Sluice.DataQuality.Model.Ruleset;

namespace Sluice.Validation.Rulesets;

/// <summary>The DQDL ruleset of each ingestion source; every registration is a new, immutable version.</summary>
internal sealed class RulesetRegistry(IValidationStore store, TimeProvider time)
{
    public const string RulesetResource = "sluice.validation.v1.Ruleset";

    /// <exception cref="DqdlParseException">The text is not a valid DQDL ruleset.</exception>
    public async Task<(StoredRuleset Ruleset, bool Created)> RegisterAsync(string source, string rulesetText, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? references = null, IReadOnlyDictionary<string, WarehouseTableName>? referenceTables = null)
    {
        var parsed = DqdlParser.Parse(rulesetText);
        return await store.AddRulesetAsync(source, rulesetText, parsed.Rules.Count, references ?? new Dictionary<string, string>(),
            referenceTables ?? new Dictionary<string, WarehouseTableName>(), time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The ruleset version (the current one when null), or null when there is none.</summary>
    public Task<StoredRuleset?> FindAsync(string source, int? version, CancellationToken cancellationToken) =>
        store.GetRulesetAsync(source, version, cancellationToken);

    /// <exception cref="ResourceNotFoundException">No ruleset (or no such version) is registered for the source.</exception>
    public async Task<StoredRuleset> GetAsync(string source, int? version, CancellationToken cancellationToken) =>
        await FindAsync(source, version, cancellationToken).ConfigureAwait(false)
            ?? throw new ResourceNotFoundException(RulesetResource, version is { } v ? $"{source}/{v}" : source,
                version is { } w ? $"Source '{source}' has no ruleset version {w}." : $"No ruleset is registered for source '{source}'.");

    /// <summary>Parses a stored ruleset (it parsed when it was registered).</summary>
    public static DqdlRuleset Parse(StoredRuleset ruleset) => DqdlParser.Parse(ruleset.RulesetText);
}
