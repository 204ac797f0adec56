using System.Text.Json;
using Google.Protobuf;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.DataApi;

/// <summary>
/// The Data API's request rules that the botocore model cannot state: where a statement runs
/// (exactly one of ClusterIdentifier and WorkgroupName, with the documented SecretArn / DbUser
/// combinations), the defaults the API reference gives, and members Sluice's contract accepts only
/// at their default value.
/// </summary>
internal static class DataApiRequestRules
{
    /// <summary>
    /// Members of the current model that Sluice accepts only with the value that means what Sluice
    /// does anyway; any other value is refused by name rather than dropped.
    /// </summary>
    private static readonly Dictionary<string, string> DefaultOnlyMembers = new(StringComparer.Ordinal)
    {
        ["ResultFormat"] = "JSON",
    };

    /// <summary>Reads a request, refusing unknown members by name and checking its rules.</summary>
    public static T Read<T>(JsonElement json)
        where T : IMessage<T>, new()
    {
        var accepted = StripDefaultOnlyMembers(json);
        var request = DataApiJson.Read<T>(accepted, rejectUnknown: true);
        CheckLocation(request);
        if (request is ListStatementsRequest list && !DataApiJson.Has(json, "Status"))
        {
            // "By default, only finished statements are shown." (ListStatements, API reference)
            list.Status = StatementStatus.Finished;
        }
        return request;
    }

    private static JsonElement StripDefaultOnlyMembers(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object || !DefaultOnlyMembers.Keys.Any(member => json.TryGetProperty(member, out _)))
        {
            return json;
        }
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in json.EnumerateObject())
            {
                if (DefaultOnlyMembers.TryGetValue(property.Name, out var only))
                {
                    if (property.Value.ValueKind != JsonValueKind.String || property.Value.GetString() != only)
                    {
                        throw QueryException.Validation(property.Name,
                            $"{property.Name} '{property.Value}' is not supported by this Redshift Data API endpoint (Sluice); it supports {property.Name} {only} only.");
                    }
                    continue;
                }
                property.WriteTo(writer);
            }
            writer.WriteEndObject();
        }
        return JsonDocument.Parse(buffer.ToArray()).RootElement.Clone();
    }

    /// <summary>
    /// Exactly one of ClusterIdentifier (a provisioned cluster: with SecretArn, DbUser, or as the
    /// caller's IAM identity) and WorkgroupName (serverless: with SecretArn or as the IAM identity;
    /// DbUser is for clusters only), as the ExecuteStatement reference lists the combinations.
    /// </summary>
    private static void CheckLocation(IMessage request)
    {
        var descriptor = request.Descriptor;
        if (descriptor.FindFieldByName("cluster_identifier") is not { } clusterField || descriptor.FindFieldByName("workgroup_name") is not { } workgroupField)
        {
            return;
        }
        var cluster = (string)clusterField.Accessor.GetValue(request);
        var workgroup = (string)workgroupField.Accessor.GetValue(request);
        var secret = (string)descriptor.FindFieldByName("secret_arn").Accessor.GetValue(request);
        var dbUser = (string)descriptor.FindFieldByName("db_user").Accessor.GetValue(request);
        if (cluster.Length == 0 && workgroup.Length == 0)
        {
            throw QueryException.Validation("ClusterIdentifier", "Either ClusterIdentifier or WorkgroupName needs to be specified.");
        }
        if (cluster.Length > 0 && workgroup.Length > 0)
        {
            throw QueryException.Validation("WorkgroupName", "ClusterIdentifier and WorkgroupName cannot both be specified: name either a cluster or a serverless workgroup.");
        }
        if (secret.Length > 0 && dbUser.Length > 0)
        {
            throw QueryException.Validation("DbUser", "SecretArn and DbUser cannot both be specified: authenticate either with a secret or as a database user with temporary credentials.");
        }
        if (workgroup.Length > 0 && dbUser.Length > 0)
        {
            throw QueryException.Validation("DbUser", "DbUser cannot be specified with WorkgroupName: a serverless workgroup authenticates with SecretArn or as the caller's IAM identity.");
        }
    }
}
