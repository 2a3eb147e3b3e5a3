using System.Text.RegularExpressions;

namespace SanReid.Api.Services;

/// <summary>
/// The detail of a <c>400 invalid_json</c> answer to an embeddings import (<c>POST /api/v1/gallery/embeddings</c>), in
/// the Api's words: the JSON path of the problem and what belongs there (<c>$.items[0].camera_id: expected an
/// integer.</c>), or, for text that is not JSON, the reader's reason and where it stopped. System.Text.Json's own
/// messages name CLR types (<c>System.Single</c>, <c>SanReid.Api.Apis.EmbeddingImportItem</c>) that mean nothing to a
/// client. The NaN / Infinity hint is given only for a token that starts as one.
/// </summary>
public static partial class JsonImportErrors
{
    /// <summary>The detail for a <see cref="System.Text.Json.JsonException"/> thrown while reading an import body.</summary>
    public static string Describe(System.Text.Json.JsonException e)
    {
        string path = string.IsNullOrEmpty(e.Path) ? "$" : e.Path;
        string where = e.LineNumber is { } line && e.BytePositionInLine is { } position
            ? $" (line {line + 1}, byte {position + 1})"
            : "";
        // The reader's (syntax) errors arrive wrapped, the reader's exception inside; conversion errors carry a
        // FormatException or InvalidOperationException, or nothing.
        if (e.InnerException is System.Text.Json.JsonException reader)
        {
            string reason = WithoutPosition(reader.Message);
            string detail = $"The body is not valid JSON at {path}{where}: {reason}";
            if (NonFiniteToken().IsMatch(reason))
                detail += " Non-finite numbers (NaN, Infinity) are not JSON: embeddings must be finite numbers.";
            if (reason.Contains("0x00", StringComparison.Ordinal) || reason.Contains("0xFF", StringComparison.Ordinal)
                || reason.Contains("0xFE", StringComparison.Ordinal) || reason.Contains("UTF-8", StringComparison.Ordinal))
            {
                detail += " JSON bodies must be UTF-8 (RFC 8259 section 8.1), not UTF-16 or another encoding.";
            }

            return detail;
        }

        if (DuplicateProperty().Match(e.Message) is { Success: true } duplicate)
        {
            return $"{path}: property \"{ClientText.ForDisplay(duplicate.Groups[1].Value)}\" is given twice in one object; "
                + "each property may appear once, so that the body means one thing.";
        }

        return $"{path}: expected {Expected(path)}.";
    }

    /// <summary>What the import schema has at <paramref name="path"/> (a path of System.Text.Json, e.g. <c>$.items[3].label</c>).</summary>
    private static string Expected(string path) => Index().Replace(path, "[]") switch
    {
        "$" => "an object with \"model\" (a string) and \"items\" (an array)",
        "$.items" => "an array of items ({\"embedding\": [...], ...})",
        "$.items[]" => "an item object ({\"embedding\": [...], ...})",
        "$.items[].embedding" => "an array of numbers",
        "$.items[].embedding[]" => "a number (a JSON number, not a string)",
        "$.items[].camera_id" => "an integer (a JSON number without a fraction, not a string)",
        "$.model" or "$.items[].external_id" or "$.items[].label" or "$.items[].captured_at" or "$.items[].file_name" => "a string",
        _ => "a value of the documented shape (see /swagger)",
    };

    // "... LineNumber: 0 | BytePositionInLine: 12." ends every reader message; the detail says where in its own words.
    private static string WithoutPosition(string message)
    {
        int at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return at < 0 ? message : message[..at];
    }

    // The reader's words for NaN, Infinity and -Infinity: "'N' is an invalid start of a value.", "'I' is invalid within a number, ...".
    [GeneratedRegex("^'[NI]' is (an )?invalid")]
    private static partial Regex NonFiniteToken();

    [GeneratedRegex("^Duplicate property '(.*?)' encountered")]
    private static partial Regex DuplicateProperty();

    [GeneratedRegex(@"\[\d+\]")]
    private static partial Regex Index();
}
