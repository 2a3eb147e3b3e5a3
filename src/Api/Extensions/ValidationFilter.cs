using SanReid.Api.Model;

namespace SanReid.Api.Extensions;

/// <summary>
/// The one validation step of the /api/v1 endpoints: every handler argument that is an <see cref="IValidatable"/>
/// request record is parsed and checked (<see cref="IValidatable.Validate"/>) and replaced by the checked record before
/// the handler runs; the first failure is answered as a 400 ProblemDetails with the field's <c>code</c> (the same
/// status, title, code and detail as before the filter existed, when the handlers threw), and logged as the exception
/// handler logs client errors.
/// </summary>
public sealed class ValidationFilter(ILogger<ValidationFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var arguments = context.Arguments;
        for (int i = 0; i < arguments.Count; i++)
        {
            if (arguments[i] is not IValidatable request)
                continue;
            try
            {
                arguments[i] = request.Validate(context.HttpContext.RequestServices);
            }
            catch (ApiProblemException e)
            {
                var http = context.HttpContext;
                logger.LogInformation("{Method} {Path} -> {Status} {Code}: {Detail}", http.Request.Method, http.Request.Path, e.Status, e.Code, e.Message);
                return Problems.From(e);
            }
        }

        return await next(context);
    }
}
