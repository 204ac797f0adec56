namespace Sluice.Vtl;

/// <summary>
/// Bounds on one render, so that a template can neither loop forever nor allocate without bound.
/// A breach throws <see cref="VtlLimitExceededException"/> naming the limit.
/// </summary>
public sealed record VtlLimits
{
    /// <summary>Production defaults.</summary>
    public static VtlLimits Default { get; } = new();

    /// <summary>Most characters one render may write. Defaults to 4,194,304 (4 Mi chars).</summary>
    public int MaxOutputChars { get; init; } = 4 * 1024 * 1024;

    /// <summary>Most loop iterations per render, summed over every <c>#foreach</c>. Defaults to 100,000.</summary>
    public int MaxIterations { get; init; } = 100_000;

    /// <summary>Most evaluation steps per render (nodes and expressions evaluated). Defaults to 10,000,000.</summary>
    public long MaxSteps { get; init; } = 10_000_000;

    /// <summary>Deepest nesting of macro calls, <c>#define</c> references and <c>#evaluate</c>. Defaults to 64.</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Longest string any one operation (concatenation, replace, interpolation) may build. Defaults to 1,048,576.</summary>
    public int MaxStringLength { get; init; } = 1024 * 1024;

    /// <summary>Most elements a range literal or a collection built by the template may hold. Defaults to 100,000.</summary>
    public int MaxCollectionSize { get; init; } = 100_000;
}
