using SanReid.Api.Auth;
using SanReid.Api.Extensions;
using SanReid.Api.Model;
using SanReid.Api.Services;

namespace SanReid.Api.Middleware;

/// <summary><c>/api/v1</c> endpoints answer 503 <c>not_ready</c> (Retry-After: 1) until the model and gallery are loaded.</summary>
public sealed class ReadinessGateMiddleware(RequestDelegate next, StartupState state)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!state.IsReady && ApiEndpoint.Is(context))
        {
            context.Response.Headers.RetryAfter = "1";
            await ProblemWriter.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ErrorCodes.NotReady, "Not ready",
                state.Failure is null ? $"The service is starting ({state.Stage}); see /health/ready." : state.PublicFailure);
            return;
        }
        await next(context);
    }
}
