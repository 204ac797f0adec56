namespace Sluice.Query;

/// <summary>Which SQL engine runs the statements.</summary>
public enum QueryEngineKind
{
    /// <summary>Embedded DuckDB files under <see cref="QueryOptions.DataDirectory"/>, with the lake attached.</summary>
    DuckDb,

    /// <summary>A PostgreSQL server reached with Npgsql.</summary>
    Postgres,

    /// <summary>Amazon Redshift (or any Redshift Data API endpoint) through the Data API; see <see cref="QueryOptions.Redshift"/>.</summary>
    Redshift,
}

/// <summary>Settings of the Query service, bound from section "Sluice:Query".</summary>
public sealed class QueryOptions
{
    public const string SectionName = "Sluice:Query";

    /// <summary>The engine statements run on. Defaults to <see cref="QueryEngineKind.DuckDb"/>.</summary>
    public QueryEngineKind Engine { get; set; } = QueryEngineKind.DuckDb;

    /// <summary>Where DuckDB databases, stored results and the local Data API key live. Defaults to ./data.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>The database created at start on DuckDB (with the demo <c>sales</c> table). Defaults to "dev".</summary>
    public string DefaultDatabase { get; set; } = "dev";

    /// <summary>Creates the demo <c>sales</c> table in the default DuckDB database if absent. Defaults to true.</summary>
    public bool SeedDemoSchema { get; set; } = true;

    /// <summary>Npgsql connection string for the PostgreSQL engine; a request's Database replaces its database.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Statements of one caller that may be submitted, picked or started at once. Defaults to 200.</summary>
    public int MaxActiveStatementsPerCaller { get; set; } = 200;

    /// <summary>
    /// Sessions (SessionKeepAliveSeconds) open at once, each holding one warehouse connection; a
    /// request for another is refused with ActiveSessionsExceededException. 0 refuses every session.
    /// Defaults to 100.
    /// </summary>
    public int MaxSessions { get; set; } = 100;

    /// <summary>Statements executing at once on the engine; others wait as SUBMITTED. Defaults to 8.</summary>
    public int MaxConcurrentStatements { get; set; } = 8;

    /// <summary>A statement running longer fails. Defaults to 1 hour.</summary>
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long a stopping service lets running statements finish before it aborts them; it admits
    /// none meanwhile. Up to 10 minutes; the host's shutdown timeout is raised to fit it. Defaults to 5 seconds.
    /// </summary>
    public TimeSpan ShutdownDrain { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long statements and their results are kept after they were created. Defaults to 24 hours.</summary>
    public TimeSpan ResultRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Largest stored result of one statement, in bytes; a larger one fails the statement. Defaults to 500 MB.</summary>
    public long MaxResultSizeBytes { get; set; } = 500L * 1024 * 1024;

    /// <summary>Most records in one GetStatementResult page and one streamed batch. Defaults to 1000.</summary>
    public int ResultPageRows { get; set; } = 1000;

    /// <summary>Largest page or streamed batch, in bytes (a page holds at least one record). Defaults to 1 MB.</summary>
    public int ResultPageBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest SQL text accepted, in characters. Defaults to 100,000 (the Data API's limit).</summary>
    public int MaxSqlLength { get; set; } = 100_000;

    /// <summary>The port of the Redshift Data API HTTP/1.1 listener; 0 picks a free port, negative disables it. Defaults to 5180.</summary>
    public int DataApiPort { get; set; } = 5180;

    /// <summary>The address the Data API listener binds. Defaults to 127.0.0.1.</summary>
    public string DataApiBindAddress { get; set; } = "127.0.0.1";

    /// <summary>Access keys whose SigV4 signatures the Data API accepts; when empty a local key is created and printed at start.</summary>
    public List<DataApiAccessKey> DataApiAccessKeys { get; set; } = [];

    /// <summary>The region the Data API expects in signatures; null accepts any. Defaults to null.</summary>
    public string? DataApiRegion { get; set; }

    /// <summary>
    /// Shows the object store's raw zone (configured in section Sluice:ObjectStore) as tables
    /// <c>lake.&lt;source&gt;</c> on the DuckDB engine. Defaults to true.
    /// </summary>
    public bool LakeEnabled { get; set; } = true;

    /// <summary>Where the DuckDB engine caches lake parts it copies from an S3 store. Defaults to {DataDirectory}/lake-cache.</summary>
    public string? LakeCacheDirectory { get; set; }

    /// <summary>Where and how the Redshift engine reaches the Data API (section Sluice:Query:Redshift).</summary>
    public RedshiftOptions Redshift { get; set; } = new();

    internal string ResultsDirectory => Path.Combine(DataDirectory, "results");

    internal string DuckDbDirectory => Path.Combine(DataDirectory, "duckdb");

    internal string LakeCache => LakeCacheDirectory ?? Path.Combine(DataDirectory, "lake-cache");
}

/// <summary>An access key pair the Data API endpoint accepts.</summary>
public sealed class DataApiAccessKey
{
    public string AccessKeyId { get; set; } = "";

    public string SecretAccessKey { get; set; } = "";
}

/// <summary>
/// The Redshift engine's target and credentials, bound from "Sluice:Query:Redshift". Every
/// statement and catalog call goes to this one target: the cluster, workgroup, secret and user a
/// request names are echoed back but not used, so callers cannot borrow Sluice's AWS identity to
/// reach other warehouses or secrets.
/// </summary>
public sealed class RedshiftOptions
{
    /// <summary>The provisioned cluster to run on; set this or <see cref="WorkgroupName"/>.</summary>
    public string? ClusterIdentifier { get; set; }

    /// <summary>The Redshift Serverless workgroup to run on; set this or <see cref="ClusterIdentifier"/>.</summary>
    public string? WorkgroupName { get; set; }

    /// <summary>The database used when a request names none. Defaults to null (requests must name one).</summary>
    public string? Database { get; set; }

    /// <summary>The Secrets Manager secret (name or ARN) holding the database credentials; or set <see cref="DbUser"/>.</summary>
    public string? SecretArn { get; set; }

    /// <summary>The database user for temporary credentials (clusters only); or set <see cref="SecretArn"/>.</summary>
    public string? DbUser { get; set; }

    /// <summary>The AWS region, e.g. eu-west-1; also the signing region. Defaults to AWS_REGION, then us-east-1.</summary>
    public string? Region { get; set; }

    /// <summary>Overrides the endpoint https://redshift-data.{Region}.amazonaws.com (a VPC endpoint, or another Data API such as Sluice's own).</summary>
    public string? EndpointUrl { get; set; }

    /// <summary>
    /// An access key to sign with instead of the AWS SDK's default credential chain (environment,
    /// shared profile, web identity, container and instance roles). Defaults to null: the chain.
    /// </summary>
    public string? AccessKeyId { get; set; }

    /// <summary>The secret of <see cref="AccessKeyId"/>.</summary>
    public string? SecretAccessKey { get; set; }

    /// <summary>The session token of temporary <see cref="AccessKeyId"/> credentials. Defaults to null.</summary>
    public string? SessionToken { get; set; }

    /// <summary>How long one Data API HTTP call may take. Defaults to 30 seconds.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The delay before the saga's first DescribeStatement re-check; each later one doubles it. Defaults to 250 ms.</summary>
    public TimeSpan FirstStatusCheckDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest delay between two re-checks. Defaults to 10 seconds.</summary>
    public TimeSpan MaxStatusCheckDelay { get; set; } = TimeSpan.FromSeconds(10);
}
