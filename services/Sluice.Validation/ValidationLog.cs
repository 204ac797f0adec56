namespace Sluice.Validation;

/// <summary>The service's log events, with stable ids.</summary>
internal static partial class ValidationLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Registered schema {Name} version {Version}")]
    public static partial void SchemaRegistered(ILogger logger, string name, int version);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Registered ruleset version {Version} of source {Source} ({RuleCount} rules)")]
    public static partial void RulesetRegistered(ILogger logger, string source, int version, int ruleCount);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Dataset of job {JobId} (source {Source}) validated: {Status}, score {Score}")]
    public static partial void DatasetValidated(ILogger logger, string jobId, string source, string status, double? score);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Dataset of job {JobId} (source {Source}) could not be evaluated; retrying (attempt {Attempt})")]
    public static partial void EvaluationRetrying(ILogger logger, string jobId, string source, int attempt, Exception exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "Dataset of job {JobId} (source {Source}) could not be evaluated")]
    public static partial void EvaluationFailed(ILogger logger, string jobId, string source, Exception exception);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "Loaded the dataset into DuckDB for CustomSql and where clauses: {Rows} rows from {Files} file(s) in {ElapsedMilliseconds} ms")]
    public static partial void WhereCopyLoaded(ILogger logger, long rows, int files, double elapsedMilliseconds);

    [LoggerMessage(EventId = 8, Level = LogLevel.Debug, Message = "Where clause {Clause} evaluated in process")]
    public static partial void WhereClauseInProcess(ILogger logger, string clause);

    [LoggerMessage(EventId = 9, Level = LogLevel.Debug, Message = "Where clause {Clause} run on DuckDB: {Reason}")]
    public static partial void WhereClauseOnSqlEngine(ILogger logger, string clause, string? reason);
}
