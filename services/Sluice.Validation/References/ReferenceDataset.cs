namespace Sluice.Validation.References;

/// <summary>A dataset that multi-dataset rules (ReferentialIntegrity, DatasetMatch, ...) compare with, by alias.</summary>
internal abstract record ReferenceDataset;

/// <summary>NDJSON parts in the object store, read in order as one table.</summary>
internal sealed record ReferenceParts(IReadOnlyList<string> Keys) : ReferenceDataset;

/// <summary>A warehouse table, read through the query service.</summary>
internal sealed record ReferenceTable(WarehouseTableName Name) : ReferenceDataset;
