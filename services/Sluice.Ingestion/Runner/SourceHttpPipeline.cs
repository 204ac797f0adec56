using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Sluice.Ingestion.Sources;

namespace Sluice.Ingestion.Runner;

/// <summary>
/// The HTTP client of one job: retries with exponential backoff and jitter (Retry-After honoured,
/// capped by the source's maxDelay) and a timeout per attempt, from Microsoft.Extensions.Http.Resilience;
/// inside each attempt the client-side rate limit, the credentials, and a buffered body, so a body
/// cut short is a failed attempt that is retried rather than a bad page.
/// </summary>
internal sealed class SourceHttpPipeline : IDisposable
{
    private readonly TokenBucketRateLimiter? _limiter;

    public SourceHttpPipeline(SourceDefinition definition, HttpMessageHandler primary, Func<string?, string?> secret, long maxPageBytes, Action onRetry)
    {
        var retry = definition.Retry;
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (retry.MaxRetries > 0)
        {
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = retry.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retry.BaseDelay,
                MaxDelay = retry.MaxDelay,
                ShouldRetryAfterHeader = false,
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, retry.MaxDelay)),
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is IOException || HttpClientResiliencePredicates.IsTransient(args.Outcome)),
                OnRetry = _ =>
                {
                    onRetry();
                    return ValueTask.CompletedTask;
                },
            });
        }
        builder.AddTimeout(new HttpTimeoutStrategyOptions { Timeout = retry.AttemptTimeout });

        HttpMessageHandler inner = new BufferingHandler(maxPageBytes) { InnerHandler = primary };
        inner = new AuthHandler(definition.Auth, secret, primary) { InnerHandler = inner };
        if (definition.RateLimit.RequestsPerSecond > 0)
        {
            _limiter = CreateLimiter(definition.RateLimit);
            inner = new RateLimitHandler(_limiter) { InnerHandler = inner };
        }
#pragma warning disable EXTEXP0001 // ResilienceHandler's constructor is marked experimental; it is the documented way to use a pipeline without IHttpClientFactory.
        var resilience = new ResilienceHandler(builder.Build()) { InnerHandler = inner };
#pragma warning restore EXTEXP0001
        Client = new HttpClient(resilience, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        foreach (var (name, value) in definition.Headers)
        {
            Client.DefaultRequestHeaders.TryAddWithoutValidation(name, value);
        }
        if (!Client.DefaultRequestHeaders.Accept.Any())
        {
            Client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        }
    }

    public HttpClient Client { get; }

    public void Dispose()
    {
        Client.Dispose();
        _limiter?.Dispose();
    }

    private static TokenBucketRateLimiter CreateLimiter(RateLimitDefinition rate)
    {
        // Fine periods for slow rates (one token each), 100 ms batches for fast ones.
        var (period, tokens) = rate.RequestsPerSecond >= 100
            ? (TimeSpan.FromMilliseconds(100), (int)Math.Max(1, Math.Round(rate.RequestsPerSecond / 10)))
            : (TimeSpan.FromSeconds(1 / rate.RequestsPerSecond), 1);
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(rate.Burst, tokens),
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = period,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    /// <summary>The server's Retry-After (seconds or a date) on 429 and 503, capped; null lets the backoff decide.</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeSpan max)
    {
        if (response is null || (response.StatusCode != HttpStatusCode.TooManyRequests && response.StatusCode != HttpStatusCode.ServiceUnavailable))
        {
            return null;
        }
        var header = response.Headers.RetryAfter;
        var delay = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (delay is null)
        {
            return null;
        }
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay > max ? max : delay;
    }

    /// <summary>Waits for the source's rate limit before each attempt.</summary>
    private sealed class RateLimitHandler(RateLimiter limiter) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            using var lease = await limiter.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
            if (!lease.IsAcquired)
            {
                throw new InvalidOperationException("The source's rate limiter refused a request.");
            }
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the whole body inside the attempt, bounded, so a truncated body fails the attempt.</summary>
    private sealed class BufferingHandler(long maxBytes) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            try
            {
                var original = response.Content;
                response.Content = await PooledContent.ReadAsync(original, maxBytes, cancellationToken).ConfigureAwait(false);
                original.Dispose();
                return response;
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }
    }

    /// <summary>Adds the source's credentials; OAuth2 tokens are fetched, cached until shortly before they expire, and renewed on a 401.</summary>
    private sealed class AuthHandler(AuthDefinition auth, Func<string?, string?> secret, HttpMessageHandler primary) : DelegatingHandler
    {
        private readonly SemaphoreSlim _tokenGate = new(1, 1);
        private string? _token;
        private DateTimeOffset _renewAt;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            switch (auth.Type)
            {
                case AuthType.ApiKey when auth.Header is not null:
                    request.Headers.Remove(auth.Header);
                    request.Headers.TryAddWithoutValidation(auth.Header, Secret(auth.Secret));
                    break;
                case AuthType.ApiKey:
                    request.RequestUri = WithQuery(request.RequestUri!, auth.QueryParam!, Secret(auth.Secret));
                    break;
                case AuthType.Bearer:
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Secret(auth.Secret));
                    break;
                case AuthType.Basic:
                    request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{auth.Username}:{Secret(auth.PasswordSecret)}")));
                    break;
                case AuthType.OAuth2:
                    var token = await TokenAsync(null, cancellationToken).ConfigureAwait(false);
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                    var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                    if (response.StatusCode != HttpStatusCode.Unauthorized)
                    {
                        return response;
                    }
                    // The token expired early or was revoked: one renewal, then the answer stands.
                    response.Dispose();
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(token, cancellationToken).ConfigureAwait(false));
                    break;
            }
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        private string Secret(string? name) => secret(name) ?? throw new SourceRunException($"The secret '{name}' is not configured (Sluice:Ingestion:Secrets:{name}).");

        private async Task<string> TokenAsync(string? rejected, CancellationToken cancellationToken)
        {
            await _tokenGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_token is not null && _token != rejected && DateTimeOffset.UtcNow < _renewAt)
                {
                    return _token;
                }
                using var client = new HttpClient(primary, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(30) };
                var form = new Dictionary<string, string>
                {
                    ["grant_type"] = "client_credentials",
                    ["client_id"] = auth.ClientId!,
                    ["client_secret"] = Secret(auth.Secret),
                };
                if (!string.IsNullOrEmpty(auth.Scope))
                {
                    form["scope"] = auth.Scope;
                }
                using var response = await client.PostAsync(auth.TokenUrl, new FormUrlEncodedContent(form), cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    // A transient answer of the token endpoint becomes a retried attempt.
                    if ((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        throw new HttpRequestException($"The OAuth2 token endpoint answered {(int)response.StatusCode}.", null, response.StatusCode);
                    }
                    throw new SourceRunException($"The OAuth2 token endpoint refused the client credentials: {(int)response.StatusCode} {response.ReasonPhrase}.");
                }
                using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
                if (!document.RootElement.TryGetProperty("access_token", out var accessToken) || accessToken.ValueKind != JsonValueKind.String)
                {
                    throw new SourceRunException("The OAuth2 token endpoint's answer has no access_token.");
                }
                var lifetime = document.RootElement.TryGetProperty("expires_in", out var expires) && expires.TryGetDouble(out var seconds)
                    ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromHours(1);
                // Renew a little before the expiry: a tenth of the lifetime, at most 30 seconds.
                var skew = TimeSpan.FromTicks(Math.Min(lifetime.Ticks / 10, TimeSpan.FromSeconds(30).Ticks));
                _token = accessToken.GetString()!;
                _renewAt = DateTimeOffset.UtcNow + lifetime - skew;
                return _token;
            }
            finally
            {
                _tokenGate.Release();
            }
        }
    }

    internal static Uri WithQuery(Uri uri, string name, string value)
    {
        var builder = new UriBuilder(uri);
        var pair = Uri.EscapeDataString(name) + "=" + Uri.EscapeDataString(value);
        if (("&" + builder.Query.TrimStart('?') + "&").Contains("&" + pair + "&", StringComparison.Ordinal))
        {
            return uri; // A retried attempt of the same request already carries it.
        }
        builder.Query = string.IsNullOrEmpty(builder.Query) || builder.Query == "?" ? pair : builder.Query.TrimStart('?') + "&" + pair;
        return builder.Uri;
    }
}

/// <summary>A page larger than Sluice:Ingestion:MaxPageBytes.</summary>
internal sealed class PageTooLargeException(long max) : Exception($"A page of the source is larger than {max} bytes (Sluice:Ingestion:MaxPageBytes).");

/// <summary>A job failure whose message is meant for the job's owner.</summary>
internal sealed class SourceRunException(string message, Exception? inner = null) : Exception(message, inner);
