namespace Sluice.Gateway.Storage;

/// <summary>The admin request names something that does not exist (NOT_FOUND).</summary>
internal sealed class GatewayNotFoundException(string message) : Exception(message);

/// <summary>The admin request conflicts with what is stored (ALREADY_EXISTS).</summary>
internal sealed class GatewayConflictException(string message) : Exception(message);

/// <summary>An admin request field is invalid (INVALID_ARGUMENT with the field named).</summary>
internal sealed class GatewayArgumentException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
