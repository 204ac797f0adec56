namespace Sluice.Gateway.Definitions;

/// <summary>One thing wrong with a document: where (a JSON pointer into it) and what.</summary>
internal sealed record DocumentProblem(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>A document that cannot be used, with every problem found in it.</summary>
internal sealed class ApiDocumentException(IReadOnlyList<DocumentProblem> problems)
    : Exception($"The API document has {problems.Count} problem(s): " + string.Join("; ", problems))
{
    public IReadOnlyList<DocumentProblem> Problems { get; } = problems;
}
