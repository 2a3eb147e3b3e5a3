using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using SanReid.Api.Model;
using SanReid.Api.Services;
using SanReid.Imaging;
using SanReid.Index;

namespace SanReid.Api.Extensions;

/// <summary>
/// Maps every known client-caused exception to a 4xx ProblemDetails with a stable <c>code</c> extension. Anything
/// else is a fault of the server, not bad input: logged here at error level, then left to the default handler (500,
/// code <c>internal_error</c>, the request id), and counted in <c>sanreid_server_errors_total</c>.
/// </summary>
public sealed class ApiExceptionHandler(IProblemDetailsService problemDetails, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client went away and the work it asked for was stopped (the decoders take the abort token): no one reads
            // an answer, and it is no fault of the server (no error log, not counted). 499 as nginx logs it.
            logger.LogInformation("{Method} {Path}: the client disconnected; work stopped", httpContext.Request.Method, httpContext.Request.Path);
            httpContext.Response.StatusCode = 499;
            return true;
        }
        if (Map(exception, httpContext.Request.Method) is not var (status, code, title, detail))
        {
            // A fault of the server (a bug, an assembly or native library that cannot load, memory): the default handler
            // answers 500 internal_error with the request id; the log line carries the exception and the request id scope.
            logger.LogError(exception, "{Method} {Path} -> 500 internal_error: {ExceptionType}",
                httpContext.Request.Method, httpContext.Request.Path, exception.GetType().FullName);
            return false;
        }
        logger.LogInformation("{Method} {Path} -> {Status} {Code}: {Detail}",
            httpContext.Request.Method, httpContext.Request.Path, status, code, detail);
        httpContext.Response.StatusCode = status;
        if (exception is GalleryUnavailableException unavailable)
            httpContext.Response.Headers.RetryAfter = unavailable.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = status,
                Title = title,
                // Framework messages may quote request text (a content type, a header): no hidden character gets through.
                Detail = ClientText.EscapeHidden(detail),
                Extensions = { ["code"] = code },
            },
        });
    }

    /// <summary>
    /// The 4xx answer for an exception caused by the request (status, code, title, detail); null for anything else,
    /// which is a server fault (500). Public for the fuzz target of the form reader, which counts a null as a crash.
    /// <paramref name="method"/> (the request's) tells a read (GET, HEAD) from a change where the detail differs.
    /// </summary>
    public static (int Status, string Code, string Title, string Detail)? Map(Exception exception, string? method = null) => exception switch
    {
        ApiProblemException e => (e.Status, e.Code, e.Title, e.Message),
        ImageTooLargeException e => (StatusCodes.Status413PayloadTooLarge, e.Code, "Image too large", e.Message),
        // A known image format (or feature) the decoder does not read: the media type is what is unsupported.
        UnsupportedImageException e => (StatusCodes.Status415UnsupportedMediaType, e.Code, "Unsupported image format", e.Message),
        ImageInputException e => (StatusCodes.Status400BadRequest, e.Code, "Unusable image", e.Message),
        DuplicateExternalIdException e => (StatusCodes.Status409Conflict, ErrorCodes.DuplicateExternalId, "Duplicate external id", e.Message),
        // The shared gallery database is unreachable: a read cannot be answered, a change was not made; searches
        // still answer from the in-memory index either way.
        GalleryUnavailableException when HttpMethods.IsGet(method ?? "") || HttpMethods.IsHead(method ?? "") =>
            (StatusCodes.Status503ServiceUnavailable, ErrorCodes.GalleryUnavailable, "Gallery database unavailable",
                "The gallery database cannot be reached, so this read cannot be answered; searches still answer from memory. "
                + "Retry after the Retry-After seconds."),
        GalleryUnavailableException => (StatusCodes.Status503ServiceUnavailable, ErrorCodes.GalleryUnavailable, "Gallery database unavailable",
            "The gallery database cannot be reached; nothing was changed (searches still answer from memory). Retry after the Retry-After seconds."),
        FormBodyTooLargeException e => (StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, "Payload too large", e.Message),
        // The form reader of the framework, where it runs: a body it could not read as a form.
        BadHttpRequestException { InnerException: InvalidDataException inner } e =>
            (StatusCodes.Status400BadRequest, ErrorCodes.MalformedMultipart, "Malformed request body", $"{e.Message} {inner.Message}"),
        BadHttpRequestException e => (e.StatusCode, ErrorCodes.ForStatus(e.StatusCode), TitleFor(e.StatusCode),
            e.InnerException is null ? e.Message : $"{e.Message} {e.InnerException.Message}"),
        InvalidDataException e => (StatusCodes.Status400BadRequest, ErrorCodes.MalformedMultipart, "Malformed request body", e.Message),
        _ => null,
    };

    private static string TitleFor(int status) => status switch
    {
        413 => "Payload too large",
        415 => "Unsupported media type",
        408 => "Request timeout",
        _ => "Bad request",
    };
}
