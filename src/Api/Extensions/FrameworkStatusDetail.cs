using SanReid.Api.Services;

namespace SanReid.Api.Extensions;

/// <summary>
/// A detail for the 4xx answers the framework writes without one (routing's 404 / 405 / 415, status code pages), so
/// every ProblemDetails says what was wrong and what the endpoint takes.
/// </summary>
public static class FrameworkStatusDetail
{
    /// <summary>The detail for <paramref name="status"/>, or null when there is nothing useful to add.</summary>
    public static string? For(int status, HttpRequest request) => status switch
    {
        StatusCodes.Status404NotFound =>
            $"No endpoint at {Quote(request.Path.Value)}; the endpoints are listed at /swagger.",
        StatusCodes.Status405MethodNotAllowed =>
            $"{Quote(request.Method)} is not allowed on {Quote(request.Path.Value)}; /swagger lists the methods each endpoint takes.",
        StatusCodes.Status415UnsupportedMediaType =>
            $"{Quote(request.Method)} {Quote(request.Path.Value)} does not take a body of type " +
            $"{(string.IsNullOrEmpty(request.ContentType) ? "(none)" : Quote(request.ContentType))}: uploads are multipart/form-data, " +
            "embedding imports application/json or application/octet-stream (see /swagger).",
        _ => null,
    };

    // Request text in a detail: at most 80 characters, hidden characters escaped.
    private static string Quote(string? text) =>
        text is null ? "''" : $"'{ClientText.EscapeHidden(text.Length > 80 ? text[..80] + "…" : text)}'";
}
