using Microsoft.AspNetCore.Http.HttpResults;
using SanReid.Api.Services;

namespace SanReid.Api.Model;

/// <summary>ProblemDetails results with the <c>code</c> extension (written by the IProblemDetailsService, which adds <c>request_id</c>).</summary>
public static class Problems
{
    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found",
            extensions: new Dictionary<string, object?> { ["code"] = ErrorCodes.NotFound });

    /// <summary>The answer for a client error: the same status, title, code and detail the exception handler writes for it.</summary>
    public static ProblemHttpResult From(ApiProblemException problem) =>
        TypedResults.Problem(ClientText.EscapeHidden(problem.Message), statusCode: problem.Status, title: problem.Title,
            extensions: new Dictionary<string, object?> { ["code"] = problem.Code });
}
