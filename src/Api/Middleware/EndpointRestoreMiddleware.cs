namespace SanReid.Api.Middleware;

/// <summary>
/// The exception handler clears the endpoint before it writes the problem; this pair puts it back afterwards, so the
/// HTTP metrics label a rejected request with its route rather than with no endpoint. <see cref="Restore"/> runs
/// outside the exception handler, <see cref="Capture"/> inside it.
/// </summary>
public static class EndpointRestoreMiddleware
{
    private const string EndpointItem = "sanreid.endpoint";

    /// <summary>Outside the exception handler: after the rest of the pipeline, restores a cleared endpoint.</summary>
    public sealed class Restore(RequestDelegate next)
    {
        public async Task InvokeAsync(HttpContext context)
        {
            try
            {
                await next(context);
            }
            finally
            {
                if (context.GetEndpoint() is null && context.Items[EndpointItem] is Endpoint endpoint)
                    context.SetEndpoint(endpoint);
            }
        }
    }

    /// <summary>Inside the exception handler: remembers the request's endpoint.</summary>
    public sealed class Capture(RequestDelegate next)
    {
        public Task InvokeAsync(HttpContext context)
        {
            context.Items[EndpointItem] = context.GetEndpoint();
            return next(context);
        }
    }
}
