using SanReid.Api.Auth;
using SanReid.Api.Extensions;

namespace SanReid.Api.Middleware;

/// <summary>
/// Reads the form and checks the query of an <c>/api/v1</c> request before the endpoint binds them
/// (<see cref="FormReading"/>: limits the framework's reader lacks, single-valued fields given once).
/// </summary>
public sealed class FormReadingMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (ApiEndpoint.Is(context))
            await FormReading.ReadAndCheckAsync(context);
        await next(context);
    }
}
