using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using SanReid.Api.Model;
using SanReid.Imaging;
using SanReid.Index;

namespace SanReid.Api.Extensions;

/// <summary>
/// Maps every known client-caused exception to a 4xx ProblemDetails with a stable <c>code</c> extension. Anything
/// else is left to the default handler (500, code <c>internal_error</c>): that is a bug, not bad input.
/// </summary>
public sealed class ApiExceptionHandler(IProblemDetailsService problemDetails, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (Map(exception) is not var (status, code, title, detail))
            return false;
        logger.LogInformation("{Method} {Path} -> {Status} {Code}: {Detail}",
            httpContext.Request.Method, httpContext.Request.Path, status, code, detail);
        httpContext.Response.StatusCode = status;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = status,
                Title = title,
                Detail = detail,
                Extensions = { ["code"] = code },
            },
        });
    }

    private static (int Status, string Code, string Title, string Detail)? Map(Exception exception) => exception switch
    {
        ApiProblemException e => (e.Status, e.Code, e.Title, e.Message),
        ImageTooLargeException e => (StatusCodes.Status413PayloadTooLarge, e.Code, "Image too large", e.Message),
        ImageInputException e => (StatusCodes.Status400BadRequest, e.Code, "Unusable image", e.Message),
        DuplicateExternalIdException e => (StatusCodes.Status409Conflict, ErrorCodes.DuplicateExternalId, "Duplicate external id", e.Message),
        BadHttpRequestException { InnerException: InvalidDataException inner } when IsLengthLimit(inner) =>
            (StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, "Payload too large", inner.Message),
        BadHttpRequestException e => (e.StatusCode, ErrorCodes.ForStatus(e.StatusCode), TitleFor(e.StatusCode), e.Message),
        InvalidDataException e when IsLengthLimit(e) =>
            (StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, "Payload too large", e.Message),
        InvalidDataException e => (StatusCodes.Status400BadRequest, ErrorCodes.BadRequest, "Malformed request body", e.Message),
        _ => null,
    };

    private static bool IsLengthLimit(InvalidDataException e) => e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase)
        && e.Message.Contains("exceeded", StringComparison.OrdinalIgnoreCase);

    private static string TitleFor(int status) => status switch
    {
        413 => "Payload too large",
        415 => "Unsupported media type",
        _ => "Bad request",
    };
}
