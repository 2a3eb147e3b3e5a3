using Microsoft.Extensions.Primitives;
using SanReid.Api.Services;

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

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly string? _rawQuery;

    private readonly IReadOnlyCollection<string> _textNames;
    private readonly IReadOnlyCollection<string> _queryNamesOfForm;

    private RequestText(Func<string, StringValues> lookup, IFormFileCollection? files, IReadOnlyCollection<string> textNames,
        string? rawQuery = null, IReadOnlyCollection<string>? queryNamesOfForm = null)
    {
        _lookup = lookup;
        Files = files;
        _textNames = textNames;
        _rawQuery = rawQuery;
        _queryNamesOfForm = queryNamesOfForm ?? [];
    }

    /// <summary>
    /// Refuses every field the endpoint does not take, so that a misspelt or misplaced field is a 400 rather than
    /// silently ignored (a bulk delete given <c>cameras=1</c> would otherwise delete every camera's items): a text field
    /// or query parameter not in <paramref name="textFields"/>, a file part not in <paramref name="fileFields"/>, a
    /// text field sent as a file part (or a file field as text), and, for a form, any query parameter (a form endpoint
    /// takes its fields in the body). A form without any file under the endpoint's file name is left to the handler,
    /// whose <c>missing_field</c> names the file field it takes and the one it got.
    /// </summary>
    /// <param name="endpoint">The endpoint as the error names it, e.g. "POST /api/v1/search".</param>
    /// <param name="textFields">The text fields (or query parameters) the endpoint takes.</param>
    /// <param name="fileFields">The file parts the endpoint takes.</param>
    /// <exception cref="ApiProblemException">400 <c>invalid_field</c>.</exception>
    public void RefuseUnknownFields(string endpoint, IReadOnlyCollection<string> textFields, IReadOnlyCollection<string> fileFields)
    {
        string Takes() => string.Join(", ", textFields.Concat(fileFields.Select(f => f + " (file)")));
        if (fileFields.Count > 0 && !(Files ?? (IEnumerable<IFormFile>)[]).Any(f => fileFields.Contains(f.Name, StringComparer.OrdinalIgnoreCase)))
        {
            return; // no file under the endpoint's name: the handler's missing_field says which name it takes and which it got
        }

        foreach (string name in _queryNamesOfForm)
        {
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidField,
                $"{endpoint} takes its fields in the multipart form, not in the query string (got query parameter '{ClientText.ForDisplay(name)}').");
        }

        foreach (string name in _textNames)
        {
            if (textFields.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            throw ApiProblemException.BadRequest(ErrorCodes.InvalidField, fileFields.Contains(name, StringComparer.OrdinalIgnoreCase)
                ? $"The field '{ClientText.ForDisplay(name)}' of {endpoint} is a file: send it as a file part (a Content-Disposition with a filename)."
                : $"{endpoint} has no field '{ClientText.ForDisplay(name)}'; it takes: {Takes()}.");
        }

        foreach (IFormFile file in Files ?? (IEnumerable<IFormFile>)[])
        {
            if (fileFields.Contains(file.Name, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            throw ApiProblemException.BadRequest(ErrorCodes.InvalidField, textFields.Contains(file.Name, StringComparer.OrdinalIgnoreCase)
                ? $"The field '{ClientText.ForDisplay(file.Name)}' of {endpoint} is text but was sent as a file part; send its value as a text field."
                : $"{endpoint} has no field '{ClientText.ForDisplay(file.Name)}'; it takes: {Takes()}.");
        }
    }

    /// <summary>The values of a field (empty when absent).</summary>
    public StringValues this[string name] => _lookup(name);

    /// <summary>
    /// The one value of a single-valued field (null when absent). A field whose text holds U+FFFD (what bytes that are
    /// not UTF-8, raw or percent-encoded as in <c>label=%FF</c>, decode to) is refused rather than matched as mojibake.
    /// Repeats are refused before binding (<see cref="Extensions.FormReading.SingleValued"/>); a field missing from
    /// that list is refused here too rather than joined with commas.
    /// </summary>
    /// <exception cref="ApiProblemException">400 <c>invalid_field</c>.</exception>
    public string? One(string name)
    {
        StringValues values = _lookup(name);
        if (values.Count > 1)
        {
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidField, $"The field '{name}' was given {values.Count} times; it takes one value.");
        }

        string? value = values.Count == 0 ? null : values[0];
        if (value is not null && (value.Contains('\uFFFD') || (_rawQuery is not null && !RawValuesAreUtf8(_rawQuery, name))))
        {
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidField,
                $"{name} is not valid UTF-8 text (its bytes, or its percent-encoding, decode to U+FFFD).");
        }

        return value;
    }

    // The framework leaves a percent-encoded sequence that is not UTF-8 (label=%FF) undecoded, as the text "%FF", which
    // would then be matched as a label: the raw query is decoded strictly here to tell it from label=%25FF.
    private static bool RawValuesAreUtf8(string rawQuery, string name)
    {
        foreach (string pair in rawQuery.TrimStart('?').Split('&'))
        {
            int eq = pair.IndexOf('=');
            string key = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            if (eq < 0 || !key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            byte[] encoded = System.Text.Encoding.ASCII.GetBytes(pair[(eq + 1)..]);
            try
            {
                StrictUtf8.GetString(System.Net.WebUtility.UrlDecodeToBytes(encoded, 0, encoded.Length));
            }
            catch (System.Text.DecoderFallbackException)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The file parts of a form; null for a query.</summary>
    public IFormFileCollection? Files { get; }

    /// <summary>The query string of the request.</summary>
    public static RequestText FromQuery(HttpContext context)
    {
        var query = context.Request.Query;
        return new RequestText(name => query[name], null, [.. query.Keys], context.Request.QueryString.Value ?? "");
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
        return new RequestText(name => form[name], form.Files, [.. form.Keys], queryNamesOfForm: [.. request.Query.Keys]);
    }
}
