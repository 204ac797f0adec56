using System.Text;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.ClientFactory;
using Microsoft.AspNetCore.Http;
using Sluice.Contracts.Query;
using Sluice.Gateway.Backends;
using Sluice.Query.V1;

namespace Sluice.Gateway.Integrations;

/// <summary>
/// Sluice's sql integration: one parameterized statement on the query service over gRPC. The
/// parameters are the integration request's (requestParameters, any location, by name) and, when
/// a request template ran, the members of the JSON object it wrote. It waits for the statement
/// (within the integration timeout) and writes the rows as a JSON array of objects, or as NDJSON
/// when the caller accepts application/x-ndjson, streamed as the query service sends them.
/// </summary>
internal sealed class SqlIntegration(GrpcClientFactory clients) : IIntegration
{
    public const string NdjsonType = "application/x-ndjson";

    public async Task<IntegrationResult> InvokeAsync(IntegrationCall call, CancellationToken cancellationToken)
    {
        var integration = call.Context.Method!.Integration;
        var client = new QueryService.QueryServiceClient(clients.CreateClient<BackendClient>("Query").Invoker);
        var request = new ExecuteStatementRequest { Sql = integration.Sql, Database = integration.Database ?? "dev" };
        foreach (var (name, value) in Parameters(call))
        {
            request.Parameters.Add(new SqlParameter { Name = name, Value = value });
        }
        var options = new CallOptions(cancellationToken: cancellationToken);
        string id;
        try
        {
            id = (await client.ExecuteStatementAsync(request, options).ConfigureAwait(false)).Id;
        }
        catch (RpcException exception) when (exception.StatusCode is StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.NotFound)
        {
            return new IntegrationResult { ErrorMessage = exception.Status.Detail, StatusCode = 500 };
        }
        DescribeStatementResponse final;
        try
        {
            final = await client.WaitForEndAsync(id, options, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await client.CancelQuietlyAsync(id).ConfigureAwait(false);
            throw;
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            await client.CancelQuietlyAsync(id).ConfigureAwait(false);
            throw new OperationCanceledException(cancellationToken);
        }
        if (final.Status != StatementStatus.Finished)
        {
            return new IntegrationResult { ErrorMessage = final.Error is { Length: > 0 } error ? error : "The statement did not finish.", StatusCode = 500 };
        }
        var ndjson = AcceptsNdjson(call.Http.Request);
        if (!final.HasResultSet)
        {
            return new IntegrationResult { Body = ndjson ? "" : "[]", ContentType = ndjson ? NdjsonType : "application/json" };
        }
        if (call.BufferResponse)
        {
            using var buffer = new MemoryStream();
            await WriteRowsAsync(client, id, buffer, ndjson, options, cancellationToken).ConfigureAwait(false);
            return new IntegrationResult { Body = Encoding.UTF8.GetString(buffer.ToArray()), ContentType = ndjson ? NdjsonType : "application/json" };
        }
        return new IntegrationResult
        {
            ContentType = ndjson ? NdjsonType : "application/json",
            Stream = async (response, token) =>
            {
                response.StatusCode = 200;
                response.ContentType = ndjson ? NdjsonType : "application/json";
                await WriteRowsAsync(client, id, response.Body, ndjson, new CallOptions(cancellationToken: token), token).ConfigureAwait(false);
            },
        };
    }

    private static bool AcceptsNdjson(HttpRequest request) =>
        request.Headers.Accept.Any(a => a is not null && a.Contains(NdjsonType, StringComparison.OrdinalIgnoreCase));

    private static Dictionary<string, string> Parameters(IntegrationCall call)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var map in new[] { call.Path, call.Query, call.Headers })
        {
            foreach (var (name, value) in map)
            {
                parameters[name] = value;
            }
        }
        if (call.Context.Method!.Integration.RequestTemplates.Count > 0 && call.Body.Length > 0)
        {
            try
            {
                using var document = JsonDocument.Parse(call.Body);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in document.RootElement.EnumerateObject())
                    {
                        parameters[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
                    }
                }
            }
            catch (JsonException)
            {
                // Not an object of parameters: only the mapped parameters bind.
            }
        }
        return parameters;
    }

    private static async Task WriteRowsAsync(QueryService.QueryServiceClient client, string id, Stream output, bool ndjson, CallOptions options, CancellationToken cancellationToken)
    {
        using var stream = client.StreamStatementResult(new StreamStatementResultRequest { Id = id }, options);
        await StatementRowsJson.WriteRowsAsync(stream.ResponseStream, output, ndjson, afterBatch: null, cancellationToken).ConfigureAwait(false);
    }
}
