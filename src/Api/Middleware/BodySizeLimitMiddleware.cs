using Microsoft.Extensions.Options;
using SanReid.Api.Options;

namespace SanReid.Api.Middleware;

/// <summary>
/// Refuses a declared oversize body (Content-Length over <see cref="LimitsOptions.MaxBodyBytes"/>) before reading it:
/// 413 through the exception handler. Kestrel enforces the same limit on chunked bodies.
/// </summary>
public sealed class BodySizeLimitMiddleware(RequestDelegate next, IOptions<LimitsOptions> limits)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var limit = limits.Value.MaxBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            throw new Microsoft.AspNetCore.Http.BadHttpRequestException(
                $"Request body of {context.Request.ContentLength:N0} bytes is over the limit of {limit:N0} bytes.",
                StatusCodes.Status413PayloadTooLarge);
        }

        await next(context);
    }
}
