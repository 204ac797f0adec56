namespace Sluice.Gateway;

/// <summary>The gateway's settings, bound from "Sluice:Gateway" and validated at start.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Sluice:Gateway";

    /// <summary>The REST listener's port (HTTP/1.1 and h2c); 0 picks a free one, -1 turns it off. Defaults to 5080 (the query service's Data API has 5180).</summary>
    public int RestPort { get; set; } = 5080;

    /// <summary>The REST listener's address. Defaults to 127.0.0.1.</summary>
    public string RestBindAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// The REST listener's protocols. Defaults to Http1; Http2 serves h2c with prior knowledge
    /// (h2load); Http1AndHttp2 needs TLS to negotiate h2, so on cleartext it serves HTTP/1.1.
    /// </summary>
    public Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols RestProtocols { get; set; } = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1;

    /// <summary>API Gateway's management API (REST JSON with SigV4, for the AWS CLI and SDKs). Defaults to 5081; 0 picks a free one, -1 turns it off.</summary>
    public int ManagementPort { get; set; } = 5081;

    /// <summary>The management listener's address. Defaults to 127.0.0.1.</summary>
    public string ManagementBindAddress { get; set; } = "127.0.0.1";

    /// <summary>Access keys whose SigV4 signatures the management API accepts; when empty a local key is created in DataDirectory and printed at start.</summary>
    public List<GatewayManagementAccessKey> ManagementAccessKeys { get; set; } = [];

    /// <summary>The region signatures must be scoped to; null (default) accepts any.</summary>
    public string? ManagementRegion { get; set; }

    /// <summary>
    /// The gRPC proxy listener's port (cleartext HTTP/2): internal callers reach the query and
    /// validation services through it with an API key. 0 picks a free one, -1 turns it off.
    /// Defaults to 5082.
    /// </summary>
    public int GrpcProxyPort { get; set; } = 5082;

    /// <summary>The gRPC proxy's address, allow-list and limits.</summary>
    public GatewayGrpcProxyOptions GrpcProxy { get; set; } = new();

    /// <summary>Access logs of stages: $context formats, written in the background. Off unless a format is set.</summary>
    public GatewayAccessLogOptions AccessLog { get; set; } = new();

    /// <summary>The private listener and its resource policy. Off unless a port is set.</summary>
    public GatewayPrivateListenerOptions Private { get; set; } = new();

    /// <summary>Where APIs, stages, keys, plans and usage are kept. Defaults to Sqlite (a file in DataDirectory).</summary>
    public GatewayStoreKind Store { get; set; } = GatewayStoreKind.Sqlite;

    /// <summary>Npgsql connection string of the Postgres store; gateways sharing it share their state.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>How often a gateway on the Postgres store checks for changes other gateways made (and reloads). Defaults to 2 s.</summary>
    public TimeSpan StoreRefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Where the SQLite state file lives. Defaults to "data/gateway".</summary>
    public string DataDirectory { get; set; } = Path.Combine("data", "gateway");

    /// <summary>The largest request body accepted; larger ones answer 413. Defaults to 10 MB, as API Gateway.</summary>
    public long MaxPayloadBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>The account-level throttle every request shares. Defaults to 10000 requests/s, burst 5000, as API Gateway's.</summary>
    public GatewayThrottleOptions AccountThrottle { get; set; } = new();

    /// <summary>OpenAPI documents imported and deployed at start (idempotent: same id, same stage).</summary>
    public List<GatewayApiFileOptions> Apis { get; set; } = [];

    /// <summary>The sample API (samples/sales-api.yaml) with its key and plan.</summary>
    public GatewaySampleOptions Sample { get; set; } = new();

    public string DatabasePath => Path.Combine(DataDirectory, "gateway.db");
}

/// <summary>Where the gateway keeps its state.</summary>
public enum GatewayStoreKind
{
    /// <summary>An SQLite file under <see cref="GatewayOptions.DataDirectory"/>, for one gateway.</summary>
    Sqlite,

    /// <summary>A PostgreSQL database (<see cref="GatewayOptions.PostgresConnectionString"/>), which several gateways may share.</summary>
    Postgres,
}

/// <summary>
/// A private listener (an internal address or loopback) whose requests pass a resource policy:
/// source addresses denied by <see cref="DenyCidrs"/>, or outside <see cref="AllowCidrs"/> when
/// it is not empty, are answered 403 as API Gateway answers a policy denial; with
/// <see cref="RequireApiIdHeader"/>, the x-apigw-api-id header must name the API called.
/// </summary>
public sealed class GatewayPrivateListenerOptions
{
    /// <summary>The port; -1 (default) turns the listener off, 0 picks a free one.</summary>
    public int Port { get; set; } = -1;

    /// <summary>Defaults to 127.0.0.1.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>Source ranges allowed, e.g. "10.0.0.0/8". Empty: every source not denied.</summary>
    public List<string> AllowCidrs { get; set; } = [];

    /// <summary>Source ranges denied; a deny wins over an allow.</summary>
    public List<string> DenyCidrs { get; set; } = [];

    /// <summary>Requires the x-apigw-api-id header to name the API, as a VPC endpoint's requests carry it.</summary>
    public bool RequireApiIdHeader { get; set; }
}

/// <summary>An access key pair the management API accepts.</summary>
public sealed class GatewayManagementAccessKey
{
    public string AccessKeyId { get; set; } = "";

    public string SecretAccessKey { get; set; } = "";
}

/// <summary>A token bucket's settings.</summary>
public sealed class GatewayThrottleOptions
{
    public double Rate { get; set; } = 10_000;

    public int Burst { get; set; } = 5_000;
}

/// <summary>An OpenAPI file deployed at start.</summary>
public sealed class GatewayApiFileOptions
{
    /// <summary>The API id (letters, digits, '-' and '_'): the first segment of its URLs.</summary>
    public string Id { get; set; } = "";

    /// <summary>The document's path (JSON or YAML).</summary>
    public string File { get; set; } = "";

    /// <summary>The stage deployed to. Defaults to "dev".</summary>
    public string Stage { get; set; } = "dev";

    public Dictionary<string, string> Variables { get; set; } = [];
}

/// <summary>The sample data API the embedded host ships: GET /sales?min_amount=... on the demo sales table.</summary>
public sealed class GatewaySampleOptions
{
    /// <summary>Deploys the sample API at start. Defaults to false; the all-in-one host turns it on.</summary>
    public bool Enabled { get; set; }

    /// <summary>The sample key's value (at least 20 characters). Generated (and printed once) when empty.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The document. Defaults to samples/sales-api.yaml next to the executable.</summary>
    public string File { get; set; } = Path.Combine(AppContext.BaseDirectory, "samples", "sales-api.yaml");
}
