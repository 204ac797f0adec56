namespace Sluice.Query.Statements;

/// <summary>The Data API's error types, named as its JSON protocol names them in "__type".</summary>
public enum QueryErrorType
{
    ValidationException,
    ResourceNotFoundException,
    ActiveStatementsExceededException,
    ActiveSessionsExceededException,
    ExecuteStatementException,
    BatchExecuteStatementException,
    DatabaseConnectionException,
    InternalServerException,

    /// <summary>Not one of the Data API's: the service is stopping (UNAVAILABLE, HTTP 503), so the caller should retry elsewhere or later.</summary>
    ServiceUnavailableException,
}

/// <summary>A refused or failed request, carrying the Data API error type it maps to.</summary>
public sealed class QueryException(QueryErrorType type, string message, string? field = null, string? resourceId = null) : Exception(message)
{
    public QueryErrorType Type { get; } = type;

    /// <summary>The request field at fault (for validation errors), in the Data API's PascalCase.</summary>
    public string? Field { get; } = field;

    /// <summary>The statement id concerned, if any.</summary>
    public string? ResourceId { get; } = resourceId;

    public static QueryException Validation(string field, string message) => new(QueryErrorType.ValidationException, message, field);

    public static QueryException NotFound(string id) =>
        new(QueryErrorType.ResourceNotFoundException, $"Query does not exist: statement '{id}' is unknown or its results have expired.", "Id", id);
}
