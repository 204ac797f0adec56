using System.Net;
using System.Text;
using System.Xml.Linq;
using Amazon.Runtime;

namespace Sluice.Transports.AmazonSqs.Transport;

/// <summary>A failed SNS call: the service's error code and message, or the transport failure.</summary>
public sealed class SnsException(string message, string? code = null, HttpStatusCode? status = null, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>SNS's error code (e.g. "NotFound", "Throttling"), when the service answered.</summary>
    public string? Code { get; } = code;

    /// <summary>The HTTP status of the answer, when there was one.</summary>
    public HttpStatusCode? Status { get; } = status;
}

/// <summary>
/// The few SNS actions the transport needs (CreateTopic, Subscribe, SetSubscriptionAttributes,
/// Publish, PublishBatch) as signed query-protocol requests (API version 2010-03-31).
/// </summary>
internal sealed class SnsClient : IDisposable
{
    private const string ApiVersion = "2010-03-31";
    private static readonly XNamespace Ns = "http://sns.amazonaws.com/doc/2010-03-31/";

    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly string _region;
    private readonly AWSCredentials _credentials;

    public SnsClient(SqsHostSettings settings, AWSCredentials credentials)
    {
        _region = settings.Region;
        _endpoint = settings.ServiceUrl ?? new Uri($"https://sns.{settings.Region}.amazonaws.com/");
        if (_endpoint.AbsolutePath.Length == 0)
        {
            _endpoint = new Uri(_endpoint, "/");
        }
        _credentials = credentials;
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) }) { Timeout = settings.RequestTimeout };
    }

    public async Task<string> CreateTopicAsync(string name, CancellationToken cancellationToken)
    {
        var answer = await CallAsync("CreateTopic", [new("Name", name)], cancellationToken).ConfigureAwait(false);
        return answer.Descendants(Ns + "TopicArn").FirstOrDefault()?.Value
            ?? throw new SnsException($"SNS CreateTopic for '{name}' answered without a TopicArn.");
    }

    /// <summary>Subscribes a queue with raw delivery, so the queue receives the published body as is.</summary>
    public async Task<string> SubscribeQueueAsync(string topicArn, string queueArn, CancellationToken cancellationToken)
    {
        var answer = await CallAsync("Subscribe",
        [
            new("TopicArn", topicArn), new("Protocol", "sqs"), new("Endpoint", queueArn), new("ReturnSubscriptionArn", "true"),
            new("Attributes.entry.1.key", "RawMessageDelivery"), new("Attributes.entry.1.value", "true"),
        ], cancellationToken).ConfigureAwait(false);
        return answer.Descendants(Ns + "SubscriptionArn").FirstOrDefault()?.Value
            ?? throw new SnsException($"SNS Subscribe of '{queueArn}' to '{topicArn}' answered without a SubscriptionArn.");
    }

    /// <summary>Every subscription of the topic, as (subscription ARN, endpoint), following SNS's pages.</summary>
    public async Task<IReadOnlyList<(string SubscriptionArn, string Endpoint)>> ListSubscriptionsByTopicAsync(string topicArn, CancellationToken cancellationToken)
    {
        var subscriptions = new List<(string, string)>();
        string? nextToken = null;
        do
        {
            List<KeyValuePair<string, string>> parameters = [new("TopicArn", topicArn)];
            if (nextToken is not null)
            {
                parameters.Add(new("NextToken", nextToken));
            }
            var answer = await CallAsync("ListSubscriptionsByTopic", parameters, cancellationToken).ConfigureAwait(false);
            foreach (var member in answer.Descendants(Ns + "Subscriptions").Elements(Ns + "member"))
            {
                subscriptions.Add((member.Element(Ns + "SubscriptionArn")?.Value ?? "", member.Element(Ns + "Endpoint")?.Value ?? ""));
            }
            nextToken = answer.Descendants(Ns + "NextToken").FirstOrDefault()?.Value is { Length: > 0 } token ? token : null;
        }
        while (nextToken is not null);
        return subscriptions;
    }

    public Task UnsubscribeAsync(string subscriptionArn, CancellationToken cancellationToken) =>
        CallAsync("Unsubscribe", [new("SubscriptionArn", subscriptionArn)], cancellationToken);

    /// <summary>Publishes up to ten messages in one call; each entry's failure is reported by its id.</summary>
    public async Task<IReadOnlyDictionary<string, string>> PublishBatchAsync(string topicArn, IReadOnlyList<SnsEntry> entries, CancellationToken cancellationToken)
    {
        var parameters = new List<KeyValuePair<string, string>> { new("TopicArn", topicArn) };
        for (var i = 0; i < entries.Count; i++)
        {
            var prefix = $"PublishBatchRequestEntries.member.{i + 1}.";
            var entry = entries[i];
            parameters.Add(new(prefix + "Id", entry.Id));
            parameters.Add(new(prefix + "Message", entry.Body));
            if (entry.GroupId is { } group)
            {
                parameters.Add(new(prefix + "MessageGroupId", group));
            }
            if (entry.DeduplicationId is { } dedup)
            {
                parameters.Add(new(prefix + "MessageDeduplicationId", dedup));
            }
            var n = 1;
            foreach (var (key, value) in entry.Attributes)
            {
                var attribute = $"{prefix}MessageAttributes.entry.{n++}.";
                parameters.Add(new(attribute + "Name", key));
                parameters.Add(new(attribute + "Value.DataType", "String"));
                parameters.Add(new(attribute + "Value.StringValue", value));
            }
        }
        var answer = await CallAsync("PublishBatch", parameters, cancellationToken).ConfigureAwait(false);
        var failed = new Dictionary<string, string>();
        foreach (var member in answer.Descendants(Ns + "Failed").Elements(Ns + "member"))
        {
            failed[member.Element(Ns + "Id")?.Value ?? ""] = $"{member.Element(Ns + "Code")?.Value}: {member.Element(Ns + "Message")?.Value}";
        }
        return failed;
    }

    private async Task<XDocument> CallAsync(string action, IEnumerable<KeyValuePair<string, string>> parameters, CancellationToken cancellationToken)
    {
        var form = new List<KeyValuePair<string, string>> { new("Action", action), new("Version", ApiVersion) };
        form.AddRange(parameters);
        var body = Encoding.UTF8.GetBytes(string.Join('&', form.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}")));

        // Resolved per call: temporary credentials refresh themselves before they expire.
        var credentials = await _credentials.GetCredentialsAsync().ConfigureAwait(false);
        var headers = new Dictionary<string, string> { ["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8" };
        var authorization = SnsRequestSigner.Sign(headers, _endpoint, body, credentials, _region, DateTime.UtcNow);

        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", headers["Content-Type"]);
        foreach (var (name, value) in headers)
        {
            if (!name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) && !name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new SnsException($"SNS {action} at {_endpoint} failed: {exception.Message}", inner: exception);
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            XDocument document;
            try
            {
                document = XDocument.Parse(text);
            }
            catch (System.Xml.XmlException exception)
            {
                throw new SnsException($"SNS {action} answered {(int)response.StatusCode} with a body that is not XML.", status: response.StatusCode, inner: exception);
            }
            if (!response.IsSuccessStatusCode)
            {
                var code = document.Descendants().FirstOrDefault(e => e.Name.LocalName == "Code")?.Value;
                var message = document.Descendants().FirstOrDefault(e => e.Name.LocalName == "Message")?.Value;
                throw new SnsException($"SNS {action} failed with {(int)response.StatusCode} {code}: {message}", code, response.StatusCode);
            }
            return document;
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>One message of a PublishBatch call.</summary>
internal sealed record SnsEntry(string Id, string Body, IReadOnlyDictionary<string, string> Attributes, string? GroupId, string? DeduplicationId);
