using System.Globalization;
using SanReid.Api.Model;
using SanReid.Index;

namespace SanReid.Api.Services;

/// <summary>
/// Parses text form fields and query values. Every malformed value becomes a 400 <see cref="ApiProblemException"/>
/// with a specific code. Used by the request records' <c>Validate</c> (Model/, run by the validation filter), so a
/// malformed value never fails inside the framework's binder with a generic error.
/// </summary>
public static partial class RequestParsing
{
    /// <summary>k in 1..<paramref name="maxK"/>; absent → <paramref name="defaultK"/>. Code <c>invalid_k</c>.</summary>
    public static int K(string? value, int defaultK, int maxK)
    {
        if (string.IsNullOrWhiteSpace(value))
            return defaultK;
        if (!int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int k) || k < 1 || k > maxK)
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidK, $"k must be an integer from 1 to {maxK}; got '{Clip(value)}'.");
        return k;
    }

    /// <summary>Optional minimum cosine score in [-1, 1]. Code <c>invalid_min_score</c>.</summary>
    public static float? MinScore(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        if (!float.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out float s) || !float.IsFinite(s) || s < -1 || s > 1)
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidMinScore, $"min_score must be a number from -1 to 1; got '{Clip(value)}'.");
        return s;
    }

    /// <summary>Optional switch "true" / "false" (any case); absent or empty → false. Code <c>invalid_rerank</c>.</summary>
    public static bool Rerank(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return false;
        if (!bool.TryParse(value.Trim(), out bool rerank))
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidRerank, $"rerank must be true or false; got '{Clip(value)}'.");
        return rerank;
    }

    /// <summary>A camera id: integer 0..1,000,000. Code <c>invalid_camera</c>.</summary>
    public static int? CameraId(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        if (!int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int c) || c < 0 || c > 1_000_000)
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidCamera, $"{field} must be an integer camera id from 0 to 1000000; got '{Clip(value)}'.");
        return c;
    }

    /// <summary>
    /// A comma-separated list of camera ids (the field may also repeat). An empty or blank field means no filter; an
    /// empty entry (<c>1,,2</c>, <c>,</c>) is an error. Code <c>invalid_camera</c>.
    /// </summary>
    public static IReadOnlyCollection<int>? Cameras(IEnumerable<string?> values, string field)
    {
        var given = values.Where(v => !string.IsNullOrWhiteSpace(v)).ToList();
        if (given.Count == 0)
            return null;
        var set = new HashSet<int>();
        foreach (var part in given.SelectMany(v => v!.Split(',')).Select(p => p.Trim()))
        {
            if (part.Length == 0)
                throw ApiProblemException.BadRequest(ErrorCodes.InvalidCamera, $"{field} has an empty entry; use e.g. '1,3'.");
            set.Add(CameraId(part, field)!.Value);
        }
        return set;
    }

    // ISO 8601 / RFC 3339 shapes only: a date, or a date and time (seconds and fraction optional) with Z, ±hh:mm or no
    // offset (then UTC). Nothing culture-dependent: '1/2/2024' or '12:30' are refused rather than read the US way.
    private static readonly string[] TimestampFormats =
    [
        "yyyy'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFFK",
        "yyyy'-'MM'-'dd'T'HH':'mm':'ssK",
        "yyyy'-'MM'-'dd'T'HH':'mmK",
        "yyyy'-'MM'-'dd",
    ];

    /// <summary>
    /// An ISO 8601 timestamp: <c>2024-05-01T12:30:00Z</c>, with optional seconds and fraction (up to 7 digits), an
    /// offset <c>Z</c> or <c>±hh:mm</c> (none: UTC), or a date alone (<c>2024-05-01</c> = midnight UTC). Code
    /// <c>invalid_timestamp</c>.
    /// </summary>
    public static DateTimeOffset? Timestamp(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        if (DateTimeOffset.TryParseExact(value.Trim(), TimestampFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var t))
        {
            return t;
        }
        // ISO-shaped but no such instant: a month 13, or outside the range once the offset is applied (0001-01-01T00:00:00+01:00).
        bool isoShaped = IsoShape().IsMatch(value.Trim());
        throw ApiProblemException.BadRequest(ErrorCodes.InvalidTimestamp, isoShaped
            ? $"{field} is shaped like ISO 8601 but is no valid instant (a field out of range, or outside "
              + $"0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z once its offset is applied); got '{Clip(value)}'."
            : $"{field} must be an ISO 8601 timestamp such as 2024-05-01T12:30:00Z (seconds, fraction and offset optional; "
              + $"no offset = UTC) or a date such as 2024-05-01; got '{Clip(value)}'.");
    }

    /// <summary>
    /// An optional text field of at most <paramref name="maxLength"/> characters: normalised to Unicode NFC (so the
    /// precomposed and the decomposed spelling of "café" are one label in storage, filters and listings), then trimmed.
    /// Hidden characters (<see cref="ClientText.IsHidden"/>: control characters, invisible format characters such as
    /// bidi overrides U+202E and zero-width spaces, line / paragraph separators, lone surrogates, unassigned code points)
    /// are refused; the zero-width (non-)joiners U+200C / U+200D that emoji and some scripts need are allowed. Code
    /// <c>invalid_field</c>.
    /// </summary>
    public static string? Text(string? value, string field, int maxLength = 256)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        value = ClientText.Nfc(value).Trim();
        if (value.Length > maxLength || ClientText.HasHidden(value))
        {
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidField,
                $"{field} must be at most {maxLength} printable characters (no control or bidi / format characters).");
        }

        return value;
    }

    /// <summary>The filters shared by list and search; <c>from</c> must be before <c>to</c>.</summary>
    public static GalleryFilter? Filter(IEnumerable<string?> cameras, IEnumerable<string?> excludeCameras, string? from, string? to, string? label)
    {
        var include = Cameras(cameras, "cameras");
        var exclude = Cameras(excludeCameras, "exclude_cameras");
        var fromTime = Timestamp(from, "from");
        var toTime = Timestamp(to, "to");
        if (fromTime is not null && toTime is not null && fromTime >= toTime)
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidTimestamp, "from must be earlier than to.");
        var labelText = Text(label, "label");
        if (include is null && exclude is null && fromTime is null && toTime is null && labelText is null)
            return null;
        return new GalleryFilter
        {
            IncludeCameras = include,
            ExcludeCameras = exclude,
            CapturedFrom = fromTime,
            CapturedTo = toTime,
            Label = labelText,
        };
    }

    /// <summary>Paging of <c>GET /gallery</c>: after_id ≥ 0, limit 1..max. Code <c>invalid_paging</c>.</summary>
    public static (long AfterId, int Limit) Paging(string? afterId, string? limit, int defaultLimit, int maxLimit)
    {
        long after = 0;
        if (!string.IsNullOrWhiteSpace(afterId)
            && (!long.TryParse(afterId.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out after) || after < 0))
        {
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidPaging, $"after_id must be a non-negative integer; got '{Clip(afterId)}'.");
        }

        int size = defaultLimit;
        if (!string.IsNullOrWhiteSpace(limit)
            && (!int.TryParse(limit.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out size) || size < 1 || size > maxLimit))
        {
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidPaging, $"limit must be an integer from 1 to {maxLimit}; got '{Clip(limit)}'.");
        }

        return (after, size);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?$")]
    private static partial System.Text.RegularExpressions.Regex IsoShape();

    // Client text quoted back in a detail: hidden characters escaped, at most 40 characters.
    private static string Clip(string value) => ClientText.ForDisplay(value);
}
