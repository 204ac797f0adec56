using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Google.Protobuf;
using Sluice.Query.DataApi;
using Sluice.Query.Statements;

namespace Sluice.Query.Engines.Redshift;

/// <summary>
/// A small Redshift Data API client: the JSON 1.1 protocol (POST /, X-Amz-Target:
/// RedshiftData.&lt;Operation&gt;, application/x-amz-json-1.1) signed with SigV4, with the
/// contract's messages as requests and responses (mapped by <see cref="DataApiJson"/>, the same
/// mapping Sluice's own endpoint uses). Remote errors become <see cref="QueryException"/>s of the
/// same Data API error type.
/// </summary>
internal sealed class RedshiftDataClient : IDisposable
{
    private const string Service = "redshift-data";
    private const string ContentType = "application/x-amz-json-1.1";
    private const string TargetPrefix = "RedshiftData.";
    private const int MaxAttempts = 3;

    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly string _region;
    private readonly Lazy<AWSCredentials> _credentials;

    public RedshiftDataClient(RedshiftOptions options, HttpMessageHandler? handler = null)
    {
        _region = options.Region is { Length: > 0 } region ? region
            : Environment.GetEnvironmentVariable("AWS_REGION") is { Length: > 0 } fromEnvironment ? fromEnvironment
            : Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") is { Length: > 0 } fromDefault ? fromDefault
            : "us-east-1";
        _endpoint = new Uri(options.EndpointUrl is { Length: > 0 } url ? url : $"https://redshift-data.{_region}.amazonaws.com/");
        _http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) }) { Timeout = options.RequestTimeout };
        // Resolved on first use: the SDK's chain probes files and metadata endpoints.
        _credentials = new Lazy<AWSCredentials>(() => options.AccessKeyId is { Length: > 0 } accessKey
            ? options.SessionToken is { Length: > 0 } token
                ? new SessionAWSCredentials(accessKey, options.SecretAccessKey ?? "", token)
                : new BasicAWSCredentials(accessKey, options.SecretAccessKey ?? "")
            : new DefaultAWSCredentialsIdentityResolver().ResolveIdentity(null));
    }

    public Uri Endpoint => _endpoint;

    /// <summary>Calls <paramref name="operation"/>; transient failures (network, 5xx, throttling) are retried twice.</summary>
    /// <exception cref="QueryException">The remote error's Data API type; auth and network failures are DatabaseConnectionException.</exception>
    public async Task<TResponse> CallAsync<TResponse>(string operation, IMessage request, CancellationToken cancellationToken)
        where TResponse : IMessage<TResponse>, new()
    {
        var body = Serialize(request);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await SendAsync<TResponse>(operation, body, cancellationToken).ConfigureAwait(false);
            }
            catch (TransientDataApiException) when (attempt < MaxAttempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * Math.Pow(4, attempt - 1)), cancellationToken).ConfigureAwait(false);
            }
            catch (TransientDataApiException exception)
            {
                throw exception.Error;
            }
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<TResponse> SendAsync<TResponse>(string operation, byte[] body, CancellationToken cancellationToken)
        where TResponse : IMessage<TResponse>, new()
    {
        using var request = await CreateSignedRequestAsync(operation, body, cancellationToken).ConfigureAwait(false);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException exception)
        {
            throw new TransientDataApiException(Unreachable(exception.Message));
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TransientDataApiException(Unreachable($"no answer within {_http.Timeout.TotalSeconds:0.#} s (Sluice:Query:Redshift:RequestTimeout)"));
        }
        using (response)
        {
            var content = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                try
                {
                    using var document = JsonDocument.Parse(content.Length == 0 ? "{}"u8.ToArray() : content);
                    return DataApiJson.Read<TResponse>(document.RootElement);
                }
                catch (Exception exception) when (exception is JsonException or QueryException)
                {
                    throw new QueryException(QueryErrorType.InternalServerException,
                        $"The Redshift Data API at {_endpoint} answered {operation} with a body Sluice cannot read: {exception.Message}");
                }
            }
            var error = ToException(operation, response, content);
            if (response.StatusCode >= HttpStatusCode.InternalServerError || response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                throw new TransientDataApiException(error);
            }
            throw error;
        }
    }

    private async Task<HttpRequestMessage> CreateSignedRequestAsync(string operation, byte[] body, CancellationToken cancellationToken)
    {
        ImmutableCredentials credentials;
        try
        {
            credentials = await _credentials.Value.GetCredentialsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonClientException exception)
        {
            throw new QueryException(QueryErrorType.DatabaseConnectionException,
                "No AWS credentials for the Redshift Data API: set Sluice:Query:Redshift:AccessKeyId and SecretAccessKey, or provide credentials "
                + "the AWS SDK's default chain finds (environment, profile, container or instance role). " + exception.Message);
        }
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Content-Type"] = ContentType,
            ["X-Amz-Target"] = TargetPrefix + operation,
        };
        var authorization = DataApiRequestSigner.Sign(headers, _endpoint, body, credentials, _region, Service, DateTime.UtcNow);
        var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(ContentType);
        foreach (var (name, value) in headers)
        {
            // Host comes from the URI (the signer derived it from the same URI); Content-Type is set on the content.
            if (!name.Equals("Host", StringComparison.OrdinalIgnoreCase) && !name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return request;
    }

    private QueryException ToException(string operation, HttpResponseMessage response, byte[] content)
    {
        var (type, message) = ReadError(response, content);
        if (Enum.TryParse<QueryErrorType>(type, ignoreCase: false, out var known))
        {
            return new QueryException(known, message);
        }
        if (response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized || type.Contains("Signature", StringComparison.Ordinal)
            || type is "UnrecognizedClientException" or "AccessDeniedException" or "ExpiredTokenException" or "MissingAuthenticationTokenException")
        {
            return new QueryException(QueryErrorType.DatabaseConnectionException,
                $"The Redshift Data API at {_endpoint} refused Sluice's AWS credentials ({type}): {message} "
                + "Check Sluice:Query:Redshift:AccessKeyId and SecretAccessKey, or the credentials the AWS SDK's default chain finds.");
        }
        return new QueryException(QueryErrorType.InternalServerException,
            $"The Redshift Data API at {_endpoint} failed {operation} with HTTP {(int)response.StatusCode} ({type}): {message}");
    }

    /// <summary>The error type (without the "namespace#" prefix AWS may add) and message of an AWS JSON error.</summary>
    private static (string Type, string Message) ReadError(HttpResponseMessage response, byte[] content)
    {
        var type = response.Headers.TryGetValues("x-amzn-ErrorType", out var values) ? values.First() : "";
        var message = "";
        try
        {
            using var document = JsonDocument.Parse(content);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("__type", out var typeValue) && typeValue.GetString() is { Length: > 0 } bodyType)
                {
                    type = bodyType;
                }
                if ((root.TryGetProperty("message", out var messageValue) || root.TryGetProperty("Message", out messageValue)) && messageValue.ValueKind == JsonValueKind.String)
                {
                    message = messageValue.GetString()!;
                }
            }
        }
        catch (JsonException)
        {
            message = System.Text.Encoding.UTF8.GetString(content.AsSpan(0, Math.Min(content.Length, 500)));
        }
        type = type.Split(':')[0];
        type = type[(type.LastIndexOf('#') + 1)..];
        return (type.Length > 0 ? type : "UnknownError", message.Length > 0 ? message : response.ReasonPhrase ?? "");
    }

    private QueryException Unreachable(string reason) =>
        new(QueryErrorType.DatabaseConnectionException, $"Cannot reach the Redshift Data API at {_endpoint}: {reason}");

    private static byte[] Serialize(IMessage request)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            DataApiJson.Write(writer, request, omitDefaults: true);
        }
        return buffer.ToArray();
    }

    /// <summary>A failure worth retrying; carries the error to throw when the attempts run out.</summary>
    private sealed class TransientDataApiException(QueryException error) : Exception(error.Message)
    {
        public QueryException Error { get; } = error;
    }
}
