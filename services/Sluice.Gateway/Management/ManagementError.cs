using Microsoft.AspNetCore.Http;
using Sluice.Aws;
using Sluice.Gateway.Definitions;
using Sluice.Gateway.Storage;

namespace Sluice.Gateway.Management;

/// <summary>
/// An error of API Gateway's management API: the botocore model's exception name (sent as
/// x-amzn-ErrorType), its HTTP status and a message (sent as {"message": ...}).
/// </summary>
internal sealed class ManagementError(string type, int status, string message) : Exception(message)
{
    public string Type { get; } = type;

    public int Status { get; } = status;

    public static ManagementError BadRequest(string message) => new("BadRequestException", StatusCodes.Status400BadRequest, message);

    public static ManagementError NotFound(string message) => new("NotFoundException", StatusCodes.Status404NotFound, message);

    public static ManagementError Conflict(string message) => new("ConflictException", StatusCodes.Status409Conflict, message);

    /// <summary>The domain's exceptions as the model's: bad input 400, unknown ids 404, clashes 409; null for anything else.</summary>
    public static ManagementError? From(Exception exception) => exception switch
    {
        ManagementError error => error,
        ApiDocumentException document => BadRequest("Errors found during import:\n" + string.Join("\n", document.Problems.Select(p => "\t" + p))),
        GatewayArgumentException argument => BadRequest(argument.Message),
        GatewayNotFoundException notFound => NotFound(notFound.Message),
        GatewayConflictException conflict => Conflict(conflict.Message),
        _ => null,
    };

    /// <summary>
    /// A refused signature: no or unknown credentials are UnauthorizedException (401, the model's),
    /// a signature that does not verify is ForbiddenException (403), each with AWS's message.
    /// </summary>
    public static ManagementError From(SigV4Result refused) => refused.Failure switch
    {
        SigV4Failure.MissingToken or SigV4Failure.UnknownAccessKey or SigV4Failure.IncompleteSignature =>
            new("UnauthorizedException", StatusCodes.Status401Unauthorized, refused.Message!),
        _ => new("ForbiddenException", StatusCodes.Status403Forbidden, refused.Message!),
    };
}
