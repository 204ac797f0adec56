namespace Sluice.Gateway;

/// <summary>The gateway's settings, bound from "Sluice:Gateway" and validated at start.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Sluice:Gateway";

    /// <summary>The REST listener's port (HTTP/1.1 and h2c); 0 picks a free one, -1 turns it off. Defaults to 5180.</summary>
    public int RestPort { get; set; } = 5180;

    /// <summary>The REST listener's address. Defaults to 127.0.0.1.</summary>
    public string RestBindAddress { get; set; } = "127.0.0.1";

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
