using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sluice.Ingestion.Tests;

/// <summary>A record the test API serves; serialized compactly it is exactly what lands.</summary>
public sealed record ApiRecord(long Id, string Name, double Amount, long UpdatedAt);

/// <summary>
/// The project's own REST server for what json-server cannot do: cursor paging (a body cursor and
/// Stripe's starting_after), Zendesk's incremental export by time, 429 with Retry-After, 500s,
/// slow pages, truncated bodies, and an OAuth2 token endpoint whose tokens expire mid-job.
/// Faults strike the first attempt of chosen pages, so a polite client gets every record.
/// </summary>
public sealed class TestApiServer : IAsyncDisposable
{
    public const string ClientId = "sluice-test";
    public const string ClientSecret = "s3cret-client";
    public const string ApiKey = "k3y-value";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _attempts = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _tokens = new();
    private int _tokensIssued;
    private int _unauthorized;

    private TestApiServer(WebApplication app, IReadOnlyList<ApiRecord> records)
    {
        _app = app;
        Records = records;
    }

    public IReadOnlyList<ApiRecord> Records { get; }

    public string BaseUrl { get; private set; } = "";

    /// <summary>Pages (by their index from 0) whose first attempt fails: each with its kind.</summary>
    public ConcurrentDictionary<int, Fault> Faults { get; } = new();

    /// <summary>A wait before every page (slows a job down so it can be killed mid-way).</summary>
    public TimeSpan PageDelay { get; set; }

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromSeconds(1);

    public int TokensIssued => _tokensIssued;

    public int UnauthorizedAnswers => _unauthorized;

    public int Requests => _attempts.Values.Sum();

    /// <summary>What GET /documents answers as { data: [...] }: free-form records a test changes between runs.</summary>
    public string DocumentsJson { get; set; } = "[]";

    /// <summary>GET /v1/customers/{id} calls, by id.</summary>
    public ConcurrentDictionary<long, int> CustomerCalls { get; } = new();

    public enum Fault { TooManyRequests, ServerError, Truncated, Slow, Unavailable }

    /// <summary>snake_case, as the APIs the presets imitate write their fields.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string Line(ApiRecord record) => JsonSerializer.Serialize(record, Json);

    public static async Task<TestApiServer> StartAsync(int recordCount)
    {
        var records = Enumerable.Range(1, recordCount).Select(i => new ApiRecord(i, $"item-{i}", i * 1.5, 1_700_000_000 + i * 10)).ToList();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new TestApiServer(app, records);
        server.Map(app);
        await app.StartAsync();
        server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return server;
    }

    private void Map(WebApplication app)
    {
        // Body cursor: { data: [...], next_cursor } where the cursor is the next offset, opaque to clients.
        app.MapGet("/cursor/items", async (HttpContext http, int? limit, string? cursor) =>
        {
            var size = limit ?? 100;
            var start = cursor is null ? 0 : int.Parse(Convert.FromBase64String(cursor).AsSpan().ToArray().Select(b => (char)b).ToArray());
            var page = Records.Skip(start).Take(size).ToList();
            var next = start + size < Records.Count ? Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes((start + size).ToString())) : null;
            await Answer(http, "cursor", start / size, new { data = page, next_cursor = next });
        });

        // Stripe: { object: list, data, has_more } with starting_after = the last id seen.
        app.MapGet("/v1/customers", async (HttpContext http, int? limit, long? starting_after) =>
        {
            var size = limit ?? 10;
            var page = Records.Where(r => starting_after is null || r.Id > starting_after).Take(size).ToList();
            var hasMore = page.Count > 0 && page[^1].Id < Records[^1].Id;
            await Answer(http, "stripe", (int)((starting_after ?? 0) / size), new { @object = "list", data = page, has_more = hasMore, url = "/v1/customers" });
        });

        // Zendesk incremental export by time: records with updated_at >= start_time, next_page, end_of_stream.
        app.MapGet("/api/v2/incremental/tickets.json", async (HttpContext http, long start_time) =>
        {
            const int size = 100;
            var page = Records.Where(r => r.UpdatedAt >= start_time).Take(size).ToList();
            var end = page.Count > 0 ? page[^1].UpdatedAt + 1 : start_time;
            var endOfStream = page.Count < size || page[^1].Id == Records[^1].Id;
            var next = $"{BaseUrl}/api/v2/incremental/tickets.json?start_time={end}";
            await Answer(http, "zendesk", (int)Records.Count(r => r.UpdatedAt < start_time) / size, new { tickets = page, next_page = next, end_time = end, end_of_stream = endOfStream, count = page.Count });
        });

        // Page-number paging behind OAuth2 bearer tokens (and an API key, when asked).
        app.MapGet("/secure/items", async (HttpContext http, int page, int per_page) =>
        {
            if (!Authorized(http))
            {
                Interlocked.Increment(ref _unauthorized);
                http.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }
            await Answer(http, "secure", page - 1, Records.Skip((page - 1) * per_page).Take(per_page).ToList());
        });

        app.MapGet("/keyed/items", async (HttpContext http, int offset, int limit) =>
        {
            if (http.Request.Headers["X-Api-Key"] != ApiKey && http.Request.Query["api_key"] != ApiKey)
            {
                http.Response.StatusCode = StatusCodes.Status403Forbidden;
                await http.Response.WriteAsync("missing or wrong key");
                return;
            }
            await Answer(http, "keyed", offset / limit, new { results = Records.Skip(offset).Take(limit).ToList() });
        });

        // Stripe: one customer by id (404 for an unknown one), counted per id.
        app.MapGet("/v1/customers/{id:long}", (long id) =>
        {
            CustomerCalls.AddOrUpdate(id, 1, (_, n) => n + 1);
            var record = Records.FirstOrDefault(r => r.Id == id);
            return record is null ? Results.NotFound() : Results.Json(record, Json);
        });

        app.MapGet("/documents", (HttpContext http) =>
            Results.Text($"{{\"data\":{DocumentsJson}}}", "application/json"));

        app.MapGet("/always500", (HttpContext http) =>
        {
            _attempts.AddOrUpdate("always500", 1, (_, n) => n + 1);
            return Results.Problem("the database is on fire", statusCode: 500);
        });

        app.MapPost("/oauth/token", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync();
            if (form["grant_type"] != "client_credentials" || form["client_id"] != ClientId || form["client_secret"] != ClientSecret)
            {
                return Results.Json(new { error = "invalid_client" }, statusCode: 401);
            }
            var token = Guid.NewGuid().ToString("N");
            _tokens[token] = DateTimeOffset.UtcNow + TokenLifetime;
            Interlocked.Increment(ref _tokensIssued);
            return Results.Json(new { access_token = token, token_type = "bearer", expires_in = TokenLifetime.TotalSeconds });
        });
    }

    private bool Authorized(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal)
            && _tokens.TryGetValue(header[7..], out var expires) && DateTimeOffset.UtcNow < expires;
    }

    private async Task Answer(HttpContext http, string endpoint, int pageIndex, object body)
    {
        var attempt = _attempts.AddOrUpdate($"{endpoint}:{http.Request.QueryString}", 1, (_, n) => n + 1);
        if (PageDelay > TimeSpan.Zero)
        {
            await Task.Delay(PageDelay);
        }
        if (attempt == 1 && Faults.TryGetValue(pageIndex, out var fault))
        {
            switch (fault)
            {
                case Fault.TooManyRequests:
                    http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                    http.Response.Headers.RetryAfter = "1";
                    await http.Response.WriteAsync("slow down");
                    return;
                case Fault.Unavailable:
                    http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    http.Response.Headers.RetryAfter = "1";
                    return;
                case Fault.ServerError:
                    http.Response.StatusCode = StatusCodes.Status500InternalServerError;
                    await http.Response.WriteAsync("oops");
                    return;
                case Fault.Truncated:
                    var bytes = JsonSerializer.SerializeToUtf8Bytes(body, Json);
                    http.Response.ContentType = "application/json";
                    http.Response.ContentLength = bytes.Length;
                    await http.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
                    await http.Response.Body.FlushAsync();
                    http.Abort();
                    return;
                case Fault.Slow:
                    await Task.Delay(TimeSpan.FromSeconds(5), http.RequestAborted).ContinueWith(_ => { });
                    break;
            }
        }
        await http.Response.WriteAsJsonAsync(body, Json);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
