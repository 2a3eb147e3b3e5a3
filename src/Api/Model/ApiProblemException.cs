namespace SanReid.Api.Model;

/// <summary>
/// A client error the Api reports as ProblemDetails: <see cref="Status"/> (4xx) and a stable <see cref="Code"/>
/// written as the <c>code</c> extension. Thrown by handlers and parsers, mapped by the exception handler.
/// </summary>
public sealed class ApiProblemException(int status, string code, string title, string detail) : Exception(detail)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
    public string Title { get; } = title;

    public static ApiProblemException BadRequest(string code, string detail) => new(StatusCodes.Status400BadRequest, code, "Bad request", detail);
}

/// <summary>The stable error codes of the Api (the <c>code</c> extension of every ProblemDetails). Image errors carry
/// Imaging's own codes (<see cref="SanReid.Imaging.ImageInputException.Code"/>: not_an_image, corrupt_image, ...).</summary>
public static class ErrorCodes
{
    public const string MissingField = "missing_field";
    public const string TooManyImages = "too_many_images";
    public const string InvalidK = "invalid_k";
    public const string InvalidMinScore = "invalid_min_score";
    public const string InvalidRerank = "invalid_rerank";
    public const string InvalidCamera = "invalid_camera";
    public const string InvalidTimestamp = "invalid_timestamp";
    public const string InvalidPaging = "invalid_paging";
    public const string InvalidField = "invalid_field";
    public const string MalformedMultipart = "malformed_multipart";
    public const string RequestTimeout = "request_timeout";
    public const string NotFound = "not_found";
    public const string DuplicateExternalId = "duplicate_external_id";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string PayloadTooLarge = "payload_too_large";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string BadRequest = "bad_request";
    public const string InternalError = "internal_error";
    public const string ApiKeyRequired = "api_key_required";
    public const string InvalidApiKey = "invalid_api_key";
    public const string RateLimited = "rate_limited";
    public const string NotReady = "not_ready";
    public const string GalleryUnavailable = "gallery_unavailable";
    public const string ModelMismatch = "model_mismatch";
    public const string InvalidEmbedding = "invalid_embedding";
    public const string InvalidJson = "invalid_json";
    public const string TooManyEmbeddings = "too_many_embeddings";

    /// <summary>The code for a status when nothing more specific is known.</summary>
    public static string ForStatus(int status) => status switch
    {
        400 => BadRequest,
        404 => NotFound,
        405 => MethodNotAllowed,
        409 => DuplicateExternalId,
        413 => PayloadTooLarge,
        415 => UnsupportedMediaType,
        401 => ApiKeyRequired,
        408 => RequestTimeout,
        429 => RateLimited,
        503 => NotReady,
        >= 500 => InternalError,
        _ => $"http_{status}",
    };
}
