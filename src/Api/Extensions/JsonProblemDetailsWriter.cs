using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace SanReid.Api.Extensions;

/// <summary>
/// Writes every ProblemDetails as <c>application/problem+json</c>, whatever the request's <c>Accept</c> header says.
/// Registered before the framework's writer: <c>DefaultProblemDetailsWriter.CanWrite</c> refuses a request that
/// accepts only e.g. <c>text/plain</c>, which turned 401/429/503 into empty 500s and 4xx into empty bodies. Applies
/// <see cref="ProblemDetailsOptions.CustomizeProblemDetails"/> (the <c>code</c> and <c>request_id</c> extensions), and
/// gives every problem a <c>type</c> and a sentence-case <c>title</c> (<see cref="ProblemDefaults"/>).
/// </summary>
public sealed class JsonProblemDetailsWriter(IOptions<ProblemDetailsOptions> options, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json) : IProblemDetailsWriter
{
    public const string ContentType = "application/problem+json";

    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        var problem = context.ProblemDetails;
        problem.Status ??= http.Response.StatusCode;
        // One look for every problem, whichever part of the Api wrote it (ProblemDefaults).
        problem.Type ??= ProblemDefaults.TypeFor(problem.Status.Value);
        problem.Title = ProblemDefaults.TitleFor(problem.Status.Value, problem.Title);
        options.Value.CustomizeProblemDetails?.Invoke(context);
        return new ValueTask(http.Response.WriteAsJsonAsync(problem, problem.GetType(), json.Value.SerializerOptions, ContentType, http.RequestAborted));
    }
}
