using System.Text.Json;
using Google.Protobuf;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.DataApi;

/// <summary>
/// The Data API's request rules that the botocore model cannot state: where a statement runs
/// (exactly one of ClusterIdentifier and WorkgroupName, with the documented SecretArn / DbUser
/// combinations) and the defaults the API reference gives.
/// </summary>
internal static class DataApiRequestRules
{
    /// <summary>
    /// The members ExecuteStatement and BatchExecuteStatement require: the SQL, and Database unless
    /// the statement runs in a session (which has one).
    /// </summary>
    public static string[] StatementRequired(string sqlMember, string sessionId) => sessionId.Length > 0 ? [sqlMember] : [sqlMember, "Database"];

    /// <summary>Reads a request, refusing unknown members by name and checking its rules.</summary>
    public static T Read<T>(JsonElement json)
        where T : IMessage<T>, new()
    {
        var request = DataApiJson.Read<T>(json, rejectUnknown: true);
        CheckLocation(request);
        if (request is ListStatementsRequest list && !DataApiJson.Has(json, "Status"))
        {
            // "By default, only finished statements are shown." (ListStatements, API reference)
            list.Status = StatementStatus.Finished;
        }
        return request;
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
        if (descriptor.FindFieldByName("session_id") is { } sessionField && ((string)sessionField.Accessor.GetValue(request)).Length > 0)
        {
            // The session already has its target; naming one beside it is refused, naming the
            // fields (StatementSessions.RefuseLocationWithSession).
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
