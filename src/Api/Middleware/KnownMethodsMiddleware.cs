using SanReid.Api.Extensions;
using SanReid.Api.Model;

namespace SanReid.Api.Middleware;

/// <summary>
/// A request with a made-up method (<c>X123</c>) gets 405 <c>method_not_allowed</c> here, before the HTTP metrics,
/// whose <c>method</c> label would otherwise add series for every method a client invents (unbounded /metrics).
/// Methods are case-sensitive (RFC 9110 9.1), so <c>get</c> is unknown too.
/// </summary>
public sealed class KnownMethodsMiddleware(RequestDelegate next)
{
    /// <summary>The HTTP methods the service knows; any other gets 405 before routing and the HTTP metrics.</summary>
    public static readonly IReadOnlySet<string> KnownMethods = new HashSet<string>(
        [HttpMethods.Get, HttpMethods.Head, HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete, HttpMethods.Options],
        StringComparer.Ordinal);

    public async Task InvokeAsync(HttpContext context)
    {
        if (!KnownMethods.Contains(context.Request.Method))
        {
            context.Response.Headers.Allow = "GET, HEAD, POST, DELETE";
            await ProblemWriter.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, ErrorCodes.MethodNotAllowed,
                "Method not allowed", "Unknown HTTP method; this service answers GET, HEAD, POST and DELETE.");
            return;
        }
        await next(context);
    }
}
