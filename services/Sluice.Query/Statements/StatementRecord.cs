using Google.Protobuf;
using Sluice.Query.V1;

namespace Sluice.Query.Statements;

/// <summary>A statement as the store keeps it: what was submitted, where it got, and where its results are.</summary>
public sealed record StatementRecord(
    string Id,
    string Caller,
    string Database,
    IReadOnlyList<string> Sqls,
    bool IsBatch,
    IReadOnlyList<KeyValuePair<string, string>> Parameters,
    string? StatementName,
    bool WithEvent,
    string? ClientToken,
    StatementLocation? Location,
    string ResultFormat,
    string? SessionId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    StatementStatus Status,
    string? Error,
    string? RemoteId,
    long DurationNanoseconds,
    IReadOnlyList<StatementPartRecord> Parts);

/// <summary>One part (SQL text) of a stored statement.</summary>
public sealed record StatementPartRecord(
    string Id,
    StatementStatus Status,
    DateTimeOffset UpdatedAt,
    string? Error,
    bool HasResultSet,
    long ResultRows,
    long QueryId,
    long DurationNanoseconds,
    StoredResultRecord? Result);

/// <summary>Where a finished part's result file is and how to read it.</summary>
/// <param name="Columns">Each column's metadata in its protobuf encoding, base64.</param>
/// <param name="Batches">Each batch as offset, length and rows.</param>
public sealed record StoredResultRecord(string Path, IReadOnlyList<string> Columns, IReadOnlyList<long[]> Batches, long TotalRows, long SizeBytes);

/// <summary>Converts between live statements and their stored records.</summary>
internal static class StatementRecords
{
    /// <summary>The statement's state now; call under its lock.</summary>
    public static StatementRecord Capture(Statement statement)
    {
        var submission = statement.Submission;
        return new StatementRecord(statement.Id, submission.Caller, submission.Database, submission.Sqls, submission.IsBatch,
            submission.Parameters.Select(p => KeyValuePair.Create(p.Name, p.Value)).ToList(), submission.StatementName, submission.WithEvent,
            submission.ClientToken, submission.Location, submission.ResultFormat, submission.SessionId, statement.CreatedAt, statement.UpdatedAt,
            statement.Status, statement.Error, statement.RemoteId, statement.DurationNanoseconds,
            statement.Parts.Select(p => new StatementPartRecord(p.Id, p.Status, p.UpdatedAt, p.Error, p.HasResultSet, p.ResultRows, p.QueryId, p.DurationNanoseconds,
                p.Result is { } result ? CaptureResult(result) : null)).ToList());
    }

    /// <summary>The statement a record describes, in the state it was stored in.</summary>
    public static Statement Restore(StatementRecord record)
    {
        var submission = new StatementSubmission(record.Caller, record.Database, record.Sqls, record.IsBatch,
            record.Parameters.Select(p => new SqlParameter { Name = p.Key, Value = p.Value }).ToList(), record.StatementName, record.WithEvent,
            record.ClientToken, record.Location, StatementId: record.Id, ResultFormat: record.ResultFormat, SessionId: record.SessionId);
        var statement = new Statement(record.Id, submission, record.CreatedAt);
        for (var i = 0; i < statement.Parts.Count && i < record.Parts.Count; i++)
        {
            var part = statement.Parts[i];
            var stored = record.Parts[i];
            part.Status = stored.Status;
            part.UpdatedAt = stored.UpdatedAt;
            part.Error = stored.Error;
            part.HasResultSet = stored.HasResultSet;
            part.ResultRows = stored.ResultRows;
            part.QueryId = stored.QueryId;
            part.RestoredDurationNanoseconds = stored.DurationNanoseconds;
            part.Result = stored.Result is { } result ? RestoreResult(result) : null;
        }
        statement.Restore(record.Status, record.UpdatedAt, record.Error, record.RemoteId, record.DurationNanoseconds);
        return statement;
    }

    private static StoredResultRecord CaptureResult(StoredResult result) => new(result.FilePath,
        result.Columns.Select(c => Convert.ToBase64String(c.ToByteArray())).ToList(),
        result.Batches.Select(b => new[] { b.Offset, b.Length, b.Rows }).ToList(), result.TotalRows, result.SizeBytes);

    private static StoredResult RestoreResult(StoredResultRecord record) => new(record.Path,
        record.Columns.Select(c => ColumnMetadata.Parser.ParseFrom(Convert.FromBase64String(c))).ToList(),
        record.Batches.Select(b => new BatchLocation(b[0], (int)b[1], (int)b[2])).ToList(), record.TotalRows, record.SizeBytes);
}
