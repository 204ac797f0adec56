using System.Globalization;
using Grpc.Core;
using Grpc.Net.ClientFactory;
using Microsoft.Extensions.Options;
using Sluice.Contracts.Query;
using Sluice.Query.V1;
using Sluice.Validation.CustomSql;

namespace Sluice.Validation.References;

/// <summary>
/// Reads a warehouse table for the rules that compare with it: one <c>SELECT *</c> statement on the query service
/// (the same gRPC API every caller uses, so the query service's quotas and engine apply), waited for, then streamed
/// into an NDJSON file that the DuckDB copy loads like a landed dataset. The file holds at most the copy's byte limit.
/// </summary>
internal sealed class WarehouseTableReader(GrpcClientFactory clients, IOptions<ValidationOptions> options)
{
    /// <summary>The client's name: another service of an all-in-one host may hold the name "Query".</summary>
    public const string ClientName = "Validation.Query";

    /// <summary>Writes the table's rows as <c>table.ndjson</c> in the given directory; returns its path.</summary>
    /// <exception cref="CustomSqlException">The query service is not configured or unreachable, or the statement failed; the message says which.</exception>
    public Func<string, CancellationToken, Task<IReadOnlyList<string>>> Writer(string alias, WarehouseTableName table) => async (directory, cancellationToken) =>
    {
        var settings = options.Value;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(settings.ReferenceTableTimeout);
        QueryService.QueryServiceClient client;
        try
        {
            client = clients.CreateClient<QueryService.QueryServiceClient>(ClientName);
        }
        catch (InvalidOperationException exception)
        {
            throw new CustomSqlException($"The reference table '{table}' (alias '{alias}') cannot be read: {exception.Message}");
        }
        var path = Path.Combine(directory, "table.ndjson");
        var call = new CallOptions(deadline: DateTime.UtcNow.Add(settings.ReferenceTableTimeout), cancellationToken: deadline.Token);
        string? id = null;
        try
        {
            id = (await client.ExecuteStatementAsync(new ExecuteStatementRequest { Sql = table.SelectAll(), Database = table.Database }, call).ConfigureAwait(false)).Id;
            var final = await client.WaitForEndAsync(id, call, deadline.Token).ConfigureAwait(false);
            if (final.Status != StatementStatus.Finished)
            {
                throw new CustomSqlException($"The reference table '{table}' (alias '{alias}') could not be read: {(final.Error is { Length: > 0 } error ? error : "the statement was " + final.Status)}.");
            }
            await WriteRowsAsync(client, id, path, settings.CustomSql, call, deadline.Token).ConfigureAwait(false);
            return [path];
        }
        catch (RpcException exception)
        {
            throw new CustomSqlException($"The reference table '{table}' (alias '{alias}') could not be read from the query service: {exception.Status.StatusCode}: {exception.Status.Detail}");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            if (id is not null)
            {
                await client.CancelQuietlyAsync(id).ConfigureAwait(false);
            }
            throw new CustomSqlException(string.Create(CultureInfo.InvariantCulture,
                $"The reference table '{table}' (alias '{alias}') was not read within {settings.ReferenceTableTimeout.TotalSeconds:0.###} s (Sluice:Validation:ReferenceTableTimeout)."));
        }
    };

    private static async Task WriteRowsAsync(QueryService.QueryServiceClient client, string id, string path, CustomSqlOptions limits, CallOptions call, CancellationToken cancellationToken)
    {
        using var stream = client.StreamStatementResult(new StreamStatementResultRequest { Id = id }, call);
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81_920, FileOptions.Asynchronous);
        await using (file.ConfigureAwait(false))
        {
            await StatementRowsJson.WriteRowsAsync(stream.ResponseStream, file, ndjson: true, () =>
            {
                if (file.Position > limits.MaxBytes)
                {
                    throw new CustomSqlException(string.Create(CultureInfo.InvariantCulture,
                        $"The reference table is larger than {limits.MaxBytes:N0} bytes as JSON, the most the DuckDB copy for CustomSql and where clauses holds (Sluice:Validation:CustomSql:MaxBytes)."));
                }
            }, cancellationToken).ConfigureAwait(false);
        }
    }
}
