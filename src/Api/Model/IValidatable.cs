using Microsoft.Extensions.Primitives;

namespace SanReid.Api.Model;

/// <summary>
/// A typed request record bound from the text of a query or a form by its <c>BindAsync</c>, then parsed and checked
/// by <see cref="Extensions.ValidationFilter"/> before the handler runs, so a handler only ever sees a checked record.
/// </summary>
/// <remarks>
/// The typed properties are what the OpenAPI document describes (integers, numbers, date-times, files). They are filled
/// in by <see cref="Validate"/> with the Api's own parsers (<see cref="Services.RequestParsing"/>: ISO 8601 instants
/// only, camera ids 0..1,000,000, NFC text without hidden characters), not by the framework's lenient binders, so each
/// malformed value is a 400 with its own code rather than a generic binding failure.
/// </remarks>
public interface IValidatable
{
    /// <summary>Parses the bound text into the record's typed values and checks them (ranges, cross-field rules).</summary>
    /// <param name="services">The request's services (options such as MaxK and the page sizes).</param>
    /// <returns>The checked record, a new instance of the same type with its typed values filled in.</returns>
    /// <exception cref="ApiProblemException">400 with the field's code; the first failing field in the order the record documents.</exception>
    IValidatable Validate(IServiceProvider services);
}

/// <summary>
/// A request record bound from the query string: the OpenAPI document describes each of its JSON-named properties as
/// a query parameter of its real type (<see cref="Extensions.QueryRequestParameters"/>).
/// </summary>
public interface IQueryRequest : IValidatable;

/// <summary>The text fields of a request as the client sent them (a form's fields and files, or the query string).</summary>
public sealed class RequestText
{
    private readonly Func<string, StringValues> _lookup;

    private RequestText(Func<string, StringValues> lookup, IFormFileCollection? files)
    {
        _lookup = lookup;
        Files = files;
    }

    /// <summary>The values of a field (empty when absent).</summary>
    public StringValues this[string name] => _lookup(name);

    /// <summary>The file parts of a form; null for a query.</summary>
    public IFormFileCollection? Files { get; }

    /// <summary>The query string of the request.</summary>
    public static RequestText FromQuery(HttpContext context)
    {
        var query = context.Request.Query;
        return new RequestText(name => query[name], null);
    }

    /// <summary>The form of the request (already read by <c>Middleware/FormReadingMiddleware</c> for /api/v1).</summary>
    /// <exception cref="BadHttpRequestException">415: the body is not a form (the framework's own message and status).</exception>
    public static async ValueTask<RequestText> FromFormAsync(HttpContext context)
    {
        var request = context.Request;
        if (!request.HasFormContentType)
        {
            throw new BadHttpRequestException($"Expected a supported form media type but got \"{request.ContentType}\".",
                StatusCodes.Status415UnsupportedMediaType);
        }

        var form = await request.ReadFormAsync(context.RequestAborted);
        return new RequestText(name => form[name], form.Files);
    }
}
