using System.Net;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Aws;
using Sluice.Query.Statements;
using Sluice.Query.V1;
using Sluice.ServiceDefaults;

namespace Sluice.Query.DataApi;

/// <summary>Where the Data API listener is bound, once Kestrel has started (port 0 resolves then).</summary>
public sealed class DataApiListener
{
    internal ListenOptions? Listen { get; set; }

    /// <summary>The bound endpoint, or null when the Data API is disabled or not started yet.</summary>
    public IPEndPoint? EndPoint => Listen?.IPEndPoint;
}

/// <summary>The Redshift Data API's JSON 1.1 protocol (POST /, X-Amz-Target: RedshiftData.&lt;Operation&gt;) on its own HTTP/1.1 listener.</summary>
public static partial class DataApiEndpoint
{
    /// <summary>The listener tag the Data API endpoint is bound to.</summary>
    public const string ListenerName = "Query.DataApi";

    private const string ContentType = "application/x-amz-json-1.1";
    private const string TargetPrefix = "RedshiftData.";
    private const int MaxBodyBytes = 2 * 1024 * 1024;

    internal static void AddQueryDataApi(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(QueryOptions.SectionName).Get<QueryOptions>() ?? new QueryOptions();
        var listener = new DataApiListener();
        builder.Services.AddSingleton(listener);
        builder.Services.AddSingleton<DataApiCredentials>();
        if (ExtraListeners.Parse(options.DataApiPort, "Sluice:Query:DataApiPort", options.DataApiBindAddress, "Sluice:Query:DataApiBindAddress") is not { } address)
        {
            return;
        }
        // The AWS CLI and SDKs speak HTTP/1.1 to the Data API.
        builder.Services.AddTaggedListener(address, options.DataApiPort, HttpProtocols.Http1, ListenerName, listen => listener.Listen = listen);
        builder.Services.AddHostedService<DataApiAnnouncer>();
    }

    internal static void MapQueryDataApi(this IEndpointRouteBuilder endpoints)
    {
        // Endpoint conventions apply after a route group's, so this listener wins over the gRPC one the host's group requires.
        endpoints.MapPost("/", HandleAsync).RequireListener(ListenerName).WithDisplayName("Redshift Data API");
    }

    private static async Task HandleAsync(HttpContext http)
    {
        var services = http.RequestServices;
        var response = http.Response;
        response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        var body = await BoundedRequestBody.ReadAsync(http.Request, MaxBodyBytes, http.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await WriteErrorAsync(response, "SerializationException", $"The request body is larger than {MaxBodyBytes} bytes.").ConfigureAwait(false);
            return;
        }
        var credentials = services.GetRequiredService<DataApiCredentials>();
        var options = services.GetRequiredService<IOptions<QueryOptions>>().Value;
        var verifier = new SigV4Verifier(credentials.Keys.ToDictionary(k => k.AccessKeyId, k => k.SecretAccessKey, StringComparer.Ordinal),
            "redshift-data", options.DataApiRegion, services.GetRequiredService<TimeProvider>());
        var signature = verifier.Verify(http.Request, body);
        if (!signature.IsAccepted)
        {
            await WriteErrorAsync(response, signature.AwsErrorType!, signature.Message!, StatusCodes.Status403Forbidden).ConfigureAwait(false);
            return;
        }
        var target = http.Request.Headers["X-Amz-Target"].ToString();
        if (!target.StartsWith(TargetPrefix, StringComparison.Ordinal))
        {
            await WriteErrorAsync(response, "UnknownOperationException", $"X-Amz-Target '{target}' does not name a RedshiftData operation.").ConfigureAwait(false);
            return;
        }
        JsonElement json;
        try
        {
            json = body.Length == 0 ? JsonDocument.Parse("{}").RootElement : JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException)
        {
            await WriteErrorAsync(response, "SerializationException", "The request body is not valid JSON.").ConfigureAwait(false);
            return;
        }
        var operations = services.GetRequiredService<QueryOperations>();
        var caller = signature.AccessKeyId!;
        var token = http.RequestAborted;
        try
        {
            IMessage result = target[TargetPrefix.Length..] switch
            {
                "ExecuteStatement" => await operations.ExecuteStatementAsync(
                    RequireStatement(DataApiRequestRules.Read<ExecuteStatementRequest>(json), "Sql", r => r.SessionId), caller).ConfigureAwait(false),
                "BatchExecuteStatement" => await operations.BatchExecuteStatementAsync(
                    RequireStatement(DataApiRequestRules.Read<BatchExecuteStatementRequest>(json), "Sqls", r => r.SessionId), caller).ConfigureAwait(false),
                "DescribeStatement" => await operations.DescribeStatementAsync(Require(DataApiRequestRules.Read<DescribeStatementRequest>(json), "Id"), token).ConfigureAwait(false),
                "GetStatementResult" => await operations.GetStatementResultAsync(Require(DataApiRequestRules.Read<GetStatementResultRequest>(json), "Id"), token).ConfigureAwait(false),
                "GetStatementResultV2" => await operations.GetStatementResultV2Async(Require(DataApiRequestRules.Read<GetStatementResultV2Request>(json), "Id"), token).ConfigureAwait(false),
                "CancelStatement" => await operations.CancelStatementAsync(Require(DataApiRequestRules.Read<CancelStatementRequest>(json), "Id"), token).ConfigureAwait(false),
                "ListStatements" => await operations.ListStatementsAsync(DataApiRequestRules.Read<ListStatementsRequest>(json), caller, token).ConfigureAwait(false),
                "ListDatabases" => await operations.ListDatabasesAsync(DataApiRequestRules.Read<ListDatabasesRequest>(json), token).ConfigureAwait(false),
                "ListSchemas" => await operations.ListSchemasAsync(DataApiRequestRules.Read<ListSchemasRequest>(json), token).ConfigureAwait(false),
                "ListTables" => await operations.ListTablesAsync(DataApiRequestRules.Read<ListTablesRequest>(json), token).ConfigureAwait(false),
                "DescribeTable" => await operations.DescribeTableAsync(DataApiRequestRules.Read<DescribeTableRequest>(json), token).ConfigureAwait(false),
                var other => throw new UnknownOperationException(other),
            };
            response.ContentType = ContentType;
            await using var writer = new Utf8JsonWriter(response.Body);
            DataApiJson.Write(writer, result);
        }
        catch (QueryException exception)
        {
            var status = exception.Type == QueryErrorType.ServiceUnavailableException ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status400BadRequest;
            await WriteErrorAsync(response, exception.Type.ToString(), exception.Message, status, exception.ResourceId).ConfigureAwait(false);
        }
        catch (UnknownOperationException exception)
        {
            await WriteErrorAsync(response, "UnknownOperationException", $"Operation '{exception.Message}' is not part of the Redshift Data API.").ConfigureAwait(false);
        }
    }

    private static T RequireStatement<T>(T request, string sqlMember, Func<T, string> sessionId)
        where T : IMessage => Require(request, DataApiRequestRules.StatementRequired(sqlMember, sessionId(request)));

    /// <summary>Members the botocore model marks required; the CLI checks them too, other clients may not.</summary>
    private static T Require<T>(T request, params string[] members)
        where T : IMessage
    {
        foreach (var member in members)
        {
            var field = request.Descriptor.Fields.InDeclarationOrder().First(f => string.Equals(f.JsonName, member, StringComparison.OrdinalIgnoreCase));
            var value = field.Accessor.GetValue(request);
            if (value is string { Length: 0 } || value is System.Collections.IList { Count: 0 })
            {
                throw QueryException.Validation(member, $"{member} is required.");
            }
        }
        return request;
    }

    private static async Task WriteErrorAsync(HttpResponse response, string type, string message, int status = StatusCodes.Status400BadRequest, string? extra = null)
    {
        response.StatusCode = status;
        response.ContentType = ContentType;
        response.Headers["x-amzn-ErrorType"] = type;
        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteString("__type", type);
        writer.WriteString("message", message);
        if (extra is not null)
        {
            writer.WriteString(type == nameof(QueryErrorType.ResourceNotFoundException) ? "ResourceId" : "StatementId", extra);
        }
        writer.WriteEndObject();
    }

    private sealed class UnknownOperationException(string operation) : Exception(operation);

    /// <summary>Prints where the Data API listens and, in the embedded profile, the local key to sign with.</summary>
    private sealed partial class DataApiAnnouncer(IHostApplicationLifetime lifetime, DataApiListener listener, DataApiCredentials credentials, ILogger<DataApiAnnouncer> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            lifetime.ApplicationStarted.Register(() =>
            {
                LogListening(logger, $"http://{listener.EndPoint}");
                if (credentials.LocalKey is { } key)
                {
                    // Printed (not only logged) so the README's first command shows how to call it.
                    Console.WriteLine($"  Query Data API  http://{listener.EndPoint}  AWS_ACCESS_KEY_ID={key.AccessKeyId} AWS_SECRET_ACCESS_KEY={key.SecretAccessKey}");
                }
            });
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Redshift Data API listening on {Address}")]
        private static partial void LogListening(ILogger logger, string address);
    }
}
