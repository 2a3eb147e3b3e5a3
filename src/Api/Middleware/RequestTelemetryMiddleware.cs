using SanReid.Api.Extensions;
using SanReid.Api.Model;
using SanReid.Api.Services;

namespace SanReid.Api.Middleware;

/// <summary>
/// Outermost: a request id (the client's <c>X-Request-Id</c> when it is 1-64 characters of [A-Za-z0-9._-], else the
/// server's trace identifier) echoed in the response, in a logging scope and in every ProblemDetails; and the
/// rejected-requests (4xx) and server-errors (5xx) counters by error code.
/// </summary>
public sealed class RequestTelemetryMiddleware(RequestDelegate next, ApiMetrics metrics, ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("SanReid.Api.Requests");

    public async Task InvokeAsync(HttpContext context)
    {
        string? incoming = context.Request.Headers["X-Request-Id"].FirstOrDefault();
        if (incoming is { Length: > 0 and <= 64 } && incoming.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            context.TraceIdentifier = incoming;
        // At send time: the exception handler clears headers set earlier.
        context.Response.OnStarting(() =>
        {
            context.Response.Headers["X-Request-Id"] = context.TraceIdentifier;
            return Task.CompletedTask;
        });
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["RequestId"] = context.TraceIdentifier });
        try
        {
            await next(context);
        }
        finally
        {
            int status = context.Response.StatusCode;
            if (status >= 400)
            {
                string code = context.Items[ProblemWriter.CodeItem] as string ?? ErrorCodes.ForStatus(status);
                (status < 500 ? metrics.Rejected : metrics.ServerErrors).WithLabels(code).Inc();
            }
        }
    }
}
