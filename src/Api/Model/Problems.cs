using Microsoft.AspNetCore.Http.HttpResults;

namespace SanReid.Api.Model;

/// <summary>ProblemDetails results with the <c>code</c> extension.</summary>
public static class Problems
{
    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found",
            extensions: new Dictionary<string, object?> { ["code"] = ErrorCodes.NotFound });
}
