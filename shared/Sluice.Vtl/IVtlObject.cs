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

/// <summary>
/// A map a template sees as a plain <c>java.util.Map</c>, built only when a template needs the whole
/// of it: reading one of its plain properties (<c>$context.stage</c>) asks
/// <see cref="TryGetWithoutBuilding"/> first, and anything else (a method call, an index, printing it,
/// passing it on, a <c>#set</c> into it) works on the map <see cref="Build"/> returns. API Gateway's
/// <c>$context</c> is one: most templates read a field or two of it, and building its nested maps on
/// every request would cost more than the template.
/// </summary>
public interface IVtlLazyMap
{
    /// <summary>The value of a plain property without building the map; false when the map must be built to answer.</summary>
    bool TryGetWithoutBuilding(string name, out object? value);

    /// <summary>The map, built on the first call; the same instance on every later one.</summary>
    IDictionary<string, object?> Build();
}
