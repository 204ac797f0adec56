using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Sluice.Benchmarks.Ingestion;

/// <summary>
/// A paged REST source on loopback (Kestrel in this process): GET /items?page=N answers a JSON
/// array of <c>pageSize</c> records of about 1 KB, built once before any measurement so the
/// server costs the same for every reader. Pages past the last answer an empty array.
/// </summary>
internal sealed class PagedSource : IAsyncDisposable
{
    private readonly WebApplication _server;
    private readonly byte[][] _pages;

    private PagedSource(WebApplication server, byte[][] pages, string baseUrl)
    {
        _server = server;
        _pages = pages;
        BaseUrl = baseUrl;
    }

    /// <summary>Pages served under /warm.</summary>
    public const int WarmPages = 20;

    public string BaseUrl { get; }

    public int PageCount => _pages.Length;

    public long TotalBytes => _pages.Sum(p => (long)p.Length);

    public static async Task<PagedSource> StartAsync(int records, int pageSize)
    {
        var pages = new byte[(records + pageSize - 1) / pageSize][];
        var filler = new string('x', 900);
        var text = new StringBuilder();
        for (var p = 0; p < pages.Length; p++)
        {
            text.Clear().Append('[');
            for (var i = p * pageSize; i < Math.Min(records, (p + 1) * pageSize); i++)
            {
                text.Append(i == p * pageSize ? "" : ",").Append(CultureInfo.InvariantCulture, $"{{\"id\":{i},\"name\":\"record-{i}\",\"amount\":{i * 0.5},\"payload\":\"{filler}\"}}");
            }
            pages[p] = Encoding.UTF8.GetBytes(text.Append(']').ToString());
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var server = builder.Build();
        byte[] empty = "[]"u8.ToArray();
        server.MapGet("/items", (int page) => Results.Bytes(page >= 1 && page <= pages.Length ? pages[page - 1] : empty, "application/json"));
        // The same first pages only, for warming up.
        server.MapGet("/warm", (int page) => Results.Bytes(page >= 1 && page <= Math.Min(WarmPages, pages.Length) ? pages[page - 1] : empty, "application/json"));
        await server.StartAsync();
        var baseUrl = server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new PagedSource(server, pages, baseUrl);
    }

    /// <summary>
    /// The source's own limit: every page fetched in order, as the ingestion job asks for them (one
    /// past the last, which ends the paging), with an HttpClient that reads each body and discards it.
    /// </summary>
    public async Task<(long Records, long Bytes)> FetchAndDiscardAsync(HttpClient http, int pages, long records)
    {
        var discard = new byte[1 << 16];
        long bytes = 0;
        for (var p = 1; p <= pages + 1; p++)
        {
            using var response = await http.GetAsync($"{BaseUrl}/items?page={p}", HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync();
            int read;
            while ((read = await body.ReadAsync(discard)) > 0)
            {
                bytes += read;
            }
        }
        return (records, bytes);
    }

    /// <summary>A record of the first page as one NDJSON line (the size every landed line has, give or take its id's digits).</summary>
    public byte[] NdjsonLine()
    {
        using var page = System.Text.Json.JsonDocument.Parse(_pages[0]);
        return Encoding.UTF8.GetBytes(page.RootElement[0].GetRawText() + "\n");
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();
}
