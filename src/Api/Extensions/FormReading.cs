// Why the Api reads multipart forms itself instead of the framework's reader (FormFeature.ReadFormAsync, which IFormFile /
// [FromForm] binding runs). Measured with `dotnet run --project bench/FormBench -c Release -- --mib 50` (.NET 10.0.12,
// the service's limits: 64 MiB body, 4 KiB text values; the same body to both readers, bytes counted as read):
//  - a 50 MiB text field 'label': the framework reads all 52,428,896 B, allocates 200.5 MiB and keeps the 52,428,800-char
//    value (its ValueLengthLimit applies to url-encoded forms only); this reader stops after 8,192 B, allocates ~0 MiB
//    and answers 400 invalid_field. (FormFieldTests.LongTextFieldIsRefusedWithoutWaitingForTheRestOfIt: a client
//    that sends 64 KiB of a declared 1 MiB field gets its answer without sending the rest.)
//  - a text field of bytes FF FE 61 (not UTF-8): the framework stores a U+FFFD value; this reader answers 400 invalid_field.
//  - a file part with filename*=utf-7''a.jpg: the framework throws NotSupportedException (a 500 by type); here 400
//    malformed_multipart.
//  - a 65 MiB body: both stop at the limit, but the framework's error is an InvalidDataException like every malformed
//    body (400 malformed_multipart by type; telling 413 apart would mean reading its message); here 413 payload_too_large.
// Not a reason for this reader: refusing single-valued fields given twice (RefuseRepeats works on any form). Files are
// buffered as the framework buffers them (memory to 64 KiB, then a temp file), so that part costs the same.

using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using SanReid.Api.Model;
using SanReid.Api.Services;

namespace SanReid.Api.Extensions;

/// <summary>
/// Reads the form of an <c>/api/v1</c> request before the endpoint binds it, with limits the framework's multipart
/// reader lacks: a text field of more than <see cref="FormOptions.ValueLengthLimit"/> bytes is refused as soon as that
/// many bytes have arrived (ASP.NET Core reads multipart text sections whole, up to the body limit), and
/// single-valued fields given more than once are refused rather than comma-joined. Files are buffered as the framework
/// does (memory, then a temp file). Errors: 400 <c>invalid_field</c> (long or repeated field, too many fields, long
/// field name), 400 <c>malformed_multipart</c> (no or long boundary, oversized part headers, truncated body).
/// </summary>
public static class FormReading
{
    /// <summary>Fields that take one value (query or form); <c>cameras</c> and <c>exclude_cameras</c> may repeat.</summary>
    public static readonly IReadOnlySet<string> SingleValued = new HashSet<string>(
        ["k", "camera_id", "label", "captured_at", "external_id", "min_score", "rerank", "from", "to", "after_id", "limit",
            "captured_before", "created_before"],
        StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Refuses repeated single-valued query parameters and, for a form body, reads the form (multipart with the limits
    /// above) and refuses repeated single-valued fields. Called by <c>Middleware/FormReadingMiddleware</c>.
    /// </summary>
    /// <exception cref="ApiProblemException">400 <c>invalid_field</c> or <c>malformed_multipart</c>.</exception>
    public static async Task ReadAndCheckAsync(HttpContext context)
    {
        RefuseRepeats(context.Request.Query, "query parameter");
        if (context.Request.HasFormContentType)
            RefuseRepeats(await ReadAsync(context), "form field");
    }

    private static void RefuseRepeats(IEnumerable<KeyValuePair<string, StringValues>> values, string what)
    {
        foreach (var (name, value) in values)
        {
            if (value.Count > 1 && SingleValued.Contains(name))
                throw ApiProblemException.BadRequest(ErrorCodes.InvalidField, $"The {what} '{Clip(name)}' was given {value.Count} times; it takes one value.");
        }
    }

    private static async Task<IFormCollection> ReadAsync(HttpContext context)
    {
        var request = context.Request;
        var options = context.RequestServices.GetRequiredService<IOptions<FormOptions>>().Value;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            // application/x-www-form-urlencoded: the framework's reader applies ValueCountLimit / KeyLengthLimit /
            // ValueLengthLimit itself; each of its InvalidDataExceptions is a field over a limit.
            try
            {
                return await request.ReadFormAsync(context.RequestAborted);
            }
            catch (InvalidDataException e)
            {
                throw ApiProblemException.BadRequest(ErrorCodes.InvalidField, e.Message);
            }
        }
        var form = await ReadMultipartAsync(request.Body, request.ContentType!, options, context.Response.RegisterForDisposeAsync,
            context.RequestAborted);
        // Through the request's own form feature: a FormFeature built from a collection alone remembers a url-encoded
        // content type and reads the (already consumed) body again for a multipart request.
        request.Form = form;
        return form;
    }

    /// <summary>
    /// Reads a whole <c>multipart/form-data</c> body with the limits of <paramref name="options"/> (see the class
    /// remarks). Public for the fuzz target (fuzz/Forms.Fuzz), which feeds it bodies as the middleware does.
    /// </summary>
    /// <param name="body">The request body (read to its end, or to the first error).</param>
    /// <param name="contentType">The request's Content-Type; its <c>boundary</c> parameter delimits the parts.</param>
    /// <param name="options">Form limits (the service's <see cref="FormOptions"/>).</param>
    /// <param name="registerForDispose">Receives each file buffer (memory, or a temp file past 64 KiB): the caller disposes
    /// them when the request ends.</param>
    /// <param name="cancel">Cancels the read.</param>
    /// <exception cref="ApiProblemException">400 <c>invalid_field</c> or <c>malformed_multipart</c>.</exception>
    /// <exception cref="FormBodyTooLargeException">The body is over <see cref="FormOptions.MultipartBodyLengthLimit"/> (413).</exception>
    /// <exception cref="BadHttpRequestException">Kestrel's body limits (413) or a client that stopped sending.</exception>
    public static async Task<FormCollection> ReadMultipartAsync(Stream body, string contentType, FormOptions options,
        Action<IAsyncDisposable> registerForDispose, CancellationToken cancel)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var type)
            || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw Malformed("The body is not multipart/form-data.");
        }

        string boundary = HeaderUtilities.RemoveQuotes(type.Boundary).ToString();
        if (string.IsNullOrWhiteSpace(boundary))
            throw Malformed("multipart/form-data without a boundary parameter.");
        if (boundary.Length > options.MultipartBoundaryLengthLimit)
            throw Malformed($"The multipart boundary is {boundary.Length} characters; at most {options.MultipartBoundaryLengthLimit} are allowed.");

        // The body limit is counted here (FormBodyTooLargeException, 413), not by MultipartReader, whose limit error is
        // an InvalidDataException like its malformed-header errors (400) and could only be told apart by its message.
        var limited = options.MultipartBodyLengthLimit is long bodyLimit and > 0 ? new LengthLimitedStream(body, bodyLimit) : body;
        var reader = new MultipartReader(boundary, limited)
        {
            HeadersCountLimit = options.MultipartHeadersCountLimit,
            HeadersLengthLimit = options.MultipartHeadersLengthLimit,
        };
        var fields = new KeyValueAccumulator();
        var files = new FormFileCollection();
        int sections = 0;
        try
        {
            for (var section = await reader.ReadNextSectionAsync(cancel); section is not null; section = await reader.ReadNextSectionAsync(cancel))
            {
                if (++sections > options.ValueCountLimit)
                    throw ApiProblemException.BadRequest(ErrorCodes.InvalidField, $"More than {options.ValueCountLimit} form fields.");
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                    throw Malformed($"Part {sections} has no Content-Disposition header: each part of a form needs 'form-data; name=\"...\"'."); // the framework ignores it, which silently dropped a field
                var (isFile, fileName) = FileDisposition(section, disposition);
                // A part that is not form-data (attachment; name="k") is refused: the framework ignores it, which
                // silently dropped a field (an external_id, a k) while the request succeeded.
                if (!isFile && !disposition.IsFormDisposition())
                    throw Malformed($"Part {sections} has Content-Disposition '{Clip(disposition.DispositionType.ToString())}', not 'form-data'.");
                string name = HeaderUtilities.RemoveQuotes(disposition.Name).ToString();
                if (name.Length > options.KeyLengthLimit)
                    throw ApiProblemException.BadRequest(ErrorCodes.InvalidField, $"A form field name is over {options.KeyLengthLimit} characters.");
                if (isFile)
                {
                    var buffer = new FileBufferingReadStream(section.Body, options.MemoryBufferThreshold, bufferLimit: null,
                        () => Environment.GetEnvironmentVariable("ASPNETCORE_TEMP") ?? Path.GetTempPath());
                    registerForDispose(buffer);
                    await buffer.DrainAsync(cancel);
                    buffer.Position = 0;
                    files.Add(new FormFile(buffer, 0, buffer.Length, name, fileName) { Headers = new HeaderDictionary(section.Headers) });
                }
                else
                {
                    fields.Append(name, await ReadText(section.Body, name, options.ValueLengthLimit, cancel));
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw Malformed(e.Message); // header length / count limits, a bad part header
        }
        catch (IOException e) when (e is not BadHttpRequestException)
        {
            // A truncated body or a missing boundary; the framework's message ("Unexpected end of Stream, the content
            // may have already been read by another component") would mislead, so say which.
            throw Malformed(sections == 0
                ? $"The multipart body ended before its first boundary '--{Clip(boundary)}' (an empty or cut body, or another boundary than the Content-Type's)."
                : $"The multipart body ended inside part {sections} or before its closing boundary '--{Clip(boundary)}--' (a cut body).");
        }
        return new FormCollection(fields.HasValues ? fields.GetResults() : null, files);
    }

    // Whether the part is a file and its filename* (RFC 5987, charset'language'percent-encoded) or filename. The framework
    // decodes filename* with Encoding.GetEncoding(charset) whenever FileNameStar is read (IsFileDisposition and
    // IsFormDisposition read it too), which throws NotSupportedException for UTF-7 (found by fuzzing): a bad header, 400.
    private static (bool IsFile, string FileName) FileDisposition(MultipartSection section, ContentDispositionHeaderValue disposition)
    {
        try
        {
            if (disposition.IsFileDisposition())
                return (true, new FileMultipartSection(section, disposition).FileName);
            // filename="" (what a browser sends for a file input whose file has no name) is still a file part; the
            // upload name rule turns the empty name into "upload". The framework counts it as a text field.
            bool namedEmpty = disposition.Parameters.Any(p => p.Name.Equals("filename", StringComparison.OrdinalIgnoreCase)
                || p.Name.Equals("filename*", StringComparison.OrdinalIgnoreCase));
            return namedEmpty ? (true, "") : (false, "");
        }
        catch (Exception e) when (e is NotSupportedException or ArgumentException or DecoderFallbackException)
        {
            throw Malformed($"A part's filename could not be decoded: {e.Message}");
        }
    }

    // Reads at most limit + 1 bytes: a longer field is refused without reading (or keeping) the rest.
    private static async Task<string> ReadText(Stream body, string name, int limit, CancellationToken cancel)
    {
        var buffer = new byte[Math.Min(limit + 1, 64 * 1024)];
        int length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length > limit)
                    break;
                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, limit + 1));
            }
            int read = await body.ReadAsync(buffer.AsMemory(length), cancel);
            if (read == 0)
                break;
            length += read;
        }
        if (length > limit)
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidField, $"The form field '{Clip(name)}' is over {limit:N0} bytes.");
        try
        {
            return StrictUtf8.GetString(buffer, 0, length);
        }
        catch (DecoderFallbackException)
        {
            // Replacing bad bytes with U+FFFD would store a value the client never sent.
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidField, $"The form field '{Clip(name)}' is not valid UTF-8 text (a file must be sent as a file part: a Content-Disposition with a filename).");
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static ApiProblemException Malformed(string detail) =>
        new(StatusCodes.Status400BadRequest, ErrorCodes.MalformedMultipart, "Malformed multipart body", detail);

    // Client text quoted back in a detail: hidden characters escaped, at most 40 characters.
    private static string Clip(string value) => ClientText.ForDisplay(value);
}
