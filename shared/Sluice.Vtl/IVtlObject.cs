namespace Sluice.Vtl;

/// <summary>
/// A host object such as API Gateway's <c>$input</c>, <c>$util</c> or <c>$context</c>: templates read its
/// properties (<c>$x.name</c>, also tried as <c>getName()</c>) and call its methods by name.
/// </summary>
public interface IVtlObject
{
    /// <summary>Looks a property up; false when there is none (the reference then renders as written).</summary>
    bool TryGetProperty(string name, out object? value);

    /// <summary>Calls a method; false when no such method takes these arguments. Exceptions become <see cref="VtlRenderException"/>.</summary>
    bool TryInvoke(string method, IReadOnlyList<object?> arguments, out object? result);
}
