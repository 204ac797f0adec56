namespace Sluice.Gateway.Pipeline;

/// <summary>
/// The answers the gateway itself gives, as API Gateway gives them: the gateway response type a
/// document can override, the status, the default message and the x-amzn-ErrorType header.
/// </summary>
internal sealed record GatewayErrorKind(string ResponseType, int StatusCode, string Message, string ErrorType)
{
    public static readonly GatewayErrorKind MissingAuthenticationToken = new("MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token", "MissingAuthenticationTokenException");
    public static readonly GatewayErrorKind AccessDenied = new("ACCESS_DENIED", 403, "User: anonymous is not authorized to perform: execute-api:Invoke", "AccessDeniedException");
    public static readonly GatewayErrorKind InvalidApiKey = new("INVALID_API_KEY", 403, "Forbidden", "ForbiddenException");
    public static readonly GatewayErrorKind Throttled = new("THROTTLED", 429, "Too Many Requests", "TooManyRequestsException");
    public static readonly GatewayErrorKind QuotaExceeded = new("QUOTA_EXCEEDED", 429, "Limit Exceeded", "LimitExceededException");
    public static readonly GatewayErrorKind BadRequestParameters = new("BAD_REQUEST_PARAMETERS", 400, "Missing required request parameters", "BadRequestException");
    public static readonly GatewayErrorKind BadRequestBody = new("BAD_REQUEST_BODY", 400, "Invalid request body", "BadRequestException");
    public static readonly GatewayErrorKind RequestTooLarge = new("REQUEST_TOO_LARGE", 413, "Request Too Long", "RequestTooLongException");
    public static readonly GatewayErrorKind UnsupportedMediaType = new("UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported Media Type", "UnsupportedMediaTypeException");
    public static readonly GatewayErrorKind IntegrationTimeout = new("INTEGRATION_TIMEOUT", 504, "Endpoint request timed out", "InternalServerErrorException");
    public static readonly GatewayErrorKind IntegrationFailure = new("INTEGRATION_FAILURE", 500, "Internal server error", "InternalServerErrorException");
    public static readonly GatewayErrorKind ConfigurationError = new("API_CONFIGURATION_ERROR", 500, "Internal server error", "InternalServerErrorException");
}
