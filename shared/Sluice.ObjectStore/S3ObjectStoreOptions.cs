namespace Sluice.ObjectStore;

/// <summary>Where and how <see cref="S3ObjectStore"/> reaches its bucket.</summary>
public sealed class S3ObjectStoreOptions
{
    /// <summary>The smallest part S3 accepts in a multipart upload (other than the last): 5 MiB.</summary>
    public const int MinPartSize = 5 * 1024 * 1024;

    /// <summary>The largest <see cref="PartSize"/> allowed here: 512 MiB (two parts are held in memory per upload).</summary>
    public const int MaxPartSize = 512 * 1024 * 1024;

    /// <summary>The bucket name (required; S3 naming rules: 3-63 lowercase letters, digits, '.' and '-').</summary>
    public string? Bucket { get; set; }

    /// <summary>
    /// An optional key prefix under which every object of this store lives, like a directory in the
    /// bucket (<c>tenants/acme</c> stores <c>raw/x</c> as <c>tenants/acme/raw/x</c>). It follows the
    /// key rules; a trailing '/' is optional. Defaults to none.
    /// </summary>
    public string? Prefix { get; set; }

    /// <summary>
    /// The endpoint of an S3-compatible server (for example <c>http://127.0.0.1:4566</c>). Defaults to
    /// none: Amazon S3 in <see cref="Region"/>.
    /// </summary>
    public string? ServiceUrl { get; set; }

    /// <summary>
    /// The AWS region (for example <c>eu-west-1</c>). Defaults to none: the SDK's default region
    /// chain (AWS_REGION, profile) for Amazon S3, and <c>us-east-1</c> for signing requests to a
    /// <see cref="ServiceUrl"/>.
    /// </summary>
    public string? Region { get; set; }

    /// <summary>The access key id. Set together with <see cref="SecretKey"/>, or leave both unset to use the SDK's default credential chain (environment, profile, instance role).</summary>
    public string? AccessKey { get; set; }

    /// <summary>The secret access key. Set together with <see cref="AccessKey"/>.</summary>
    public string? SecretKey { get; set; }

    /// <summary>An optional session token for temporary credentials; requires <see cref="AccessKey"/> and <see cref="SecretKey"/>. Defaults to none.</summary>
    public string? SessionToken { get; set; }

    /// <summary>Address the bucket in the path (<c>http://host/bucket/key</c>) instead of the host name; most S3-compatible servers need this. Defaults to false.</summary>
    public bool ForcePathStyle { get; set; }

    /// <summary>How many keys one listing request asks for (1-1000). Defaults to 1000, S3's maximum.</summary>
    public int ListPageSize { get; set; } = 1000;

    /// <summary>
    /// The size of each part of a multipart upload, and the size up to which an object is sent in a
    /// single request; between <see cref="MinPartSize"/> and <see cref="MaxPartSize"/>. Up to two
    /// parts are held in memory per upload in progress. S3 allows 10,000 parts, so the largest
    /// object is 10,000 times this. Defaults to 8 MiB (objects up to about 78 GiB).
    /// </summary>
    public int PartSize { get; set; } = 8 * 1024 * 1024;
}
