using Microsoft.AspNetCore.Mvc;
using SanReid.Api.Model;

namespace SanReid.Api.Extensions;

/// <summary>Writes a ProblemDetails response with a <c>code</c> from middleware (auth, rate limit, readiness).</summary>
public static class ProblemWriter
{
    /// <summary>The <see cref="HttpContext.Items"/> key under which the error code of a response is kept for metrics.</summary>
    public const string CodeItem = "sanreid.error_code";

    public static async Task WriteAsync(HttpContext context, int status, string code, string title, string detail)
    {
        context.Response.StatusCode = status;
        context.Items[CodeItem] = code;
        var service = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await service.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail, Extensions = { ["code"] = code } },
        });
    }
}
