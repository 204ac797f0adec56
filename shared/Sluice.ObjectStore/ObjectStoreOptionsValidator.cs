using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Sluice.ObjectStore;

/// <summary>Checks <see cref="ObjectStoreOptions"/> when the host starts, so a bad configuration fails early and says which setting is wrong.</summary>
internal sealed partial class ObjectStoreOptionsValidator : IValidateOptions<ObjectStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, ObjectStoreOptions options)
    {
        var failures = new List<string>();
        if (string.Equals(options.Provider, ObjectStoreProviders.Local, StringComparison.OrdinalIgnoreCase))
        {
            if (string.IsNullOrWhiteSpace(options.LocalRoot))
            {
                failures.Add("ObjectStore:LocalRoot is required when ObjectStore:Provider is 'Local'.");
            }
        }
        else if (string.Equals(options.Provider, ObjectStoreProviders.S3, StringComparison.OrdinalIgnoreCase))
        {
            failures.AddRange(ValidateS3(options.S3));
        }
        else
        {
            failures.Add($"ObjectStore:Provider '{options.Provider}' is not supported; use '{ObjectStoreProviders.Local}' or '{ObjectStoreProviders.S3}'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Every problem with <paramref name="options"/>, each naming its setting.</summary>
    public static List<string> ValidateS3(S3ObjectStoreOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Bucket))
        {
            failures.Add("ObjectStore:S3:Bucket is required when ObjectStore:Provider is 'S3'.");
        }
        else if (!BucketName().IsMatch(options.Bucket) || options.Bucket.Contains("..", StringComparison.Ordinal))
        {
            failures.Add($"ObjectStore:S3:Bucket '{options.Bucket}' is not a valid bucket name (3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit).");
        }

        if (!string.IsNullOrEmpty(options.Prefix)
            && ObjectKey.Check(options.Prefix.TrimEnd('/'), isPrefix: false, ObjectKey.MaxUtf8Bytes) is { } prefixError)
        {
            failures.Add($"ObjectStore:S3:Prefix is invalid: {prefixError.Message}");
        }

        if (options.ServiceUrl is not null
            && (!Uri.TryCreate(options.ServiceUrl, UriKind.Absolute, out Uri? serviceUrl) || (serviceUrl.Scheme != Uri.UriSchemeHttp && serviceUrl.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add($"ObjectStore:S3:ServiceUrl '{options.ServiceUrl}' must be an absolute http or https URL.");
        }

        if (options.Region is not null && string.IsNullOrWhiteSpace(options.Region))
        {
            failures.Add("ObjectStore:S3:Region must not be blank; leave it unset to use the SDK's default region.");
        }

        bool hasAccessKey = !string.IsNullOrEmpty(options.AccessKey);
        bool hasSecretKey = !string.IsNullOrEmpty(options.SecretKey);
        if (hasAccessKey != hasSecretKey)
        {
            failures.Add("ObjectStore:S3:AccessKey and ObjectStore:S3:SecretKey must be set together (or both left unset to use the SDK's default credential chain).");
        }

        if (!string.IsNullOrEmpty(options.SessionToken) && !(hasAccessKey && hasSecretKey))
        {
            failures.Add("ObjectStore:S3:SessionToken needs ObjectStore:S3:AccessKey and ObjectStore:S3:SecretKey.");
        }

        if (options.ListPageSize is < 1 or > 1000)
        {
            failures.Add($"ObjectStore:S3:ListPageSize {options.ListPageSize} must be between 1 and 1000.");
        }

        if (options.PartSize is < S3ObjectStoreOptions.MinPartSize or > S3ObjectStoreOptions.MaxPartSize)
        {
            failures.Add($"ObjectStore:S3:PartSize {options.PartSize} must be between {S3ObjectStoreOptions.MinPartSize} (5 MiB, S3's minimum) and {S3ObjectStoreOptions.MaxPartSize}.");
        }

        return failures;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex BucketName();
}
