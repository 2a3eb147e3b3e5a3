using System.Globalization;
using SanReid.Api.Model;
using SanReid.Index;

namespace SanReid.Api.Services;

/// <summary>
/// Parses text form fields and query values. Every malformed value becomes a 400 <see cref="ApiProblemException"/>
/// with a specific code, so handlers bind strings and never fail inside the framework's binder.
/// </summary>
public static class RequestParsing
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

    /// <summary>A camera id: integer 0..1,000,000. Code <c>invalid_camera</c>.</summary>
    public static int? CameraId(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        if (!int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int c) || c < 0 || c > 1_000_000)
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidCamera, $"{field} must be an integer camera id from 0 to 1000000; got '{Clip(value)}'.");
        return c;
    }

    /// <summary>A comma-separated list of camera ids (the field may also repeat). Code <c>invalid_camera</c>.</summary>
    public static IReadOnlyCollection<int>? Cameras(IEnumerable<string?> values, string field)
    {
        var parts = values.Where(v => v is not null).SelectMany(v => v!.Split(',')).Select(p => p.Trim()).ToList();
        if (parts.Count == 0 || parts.All(p => p.Length == 0))
            return null;
        var set = new HashSet<int>();
        foreach (var part in parts)
        {
            if (part.Length == 0)
                throw ApiProblemException.BadRequest(ErrorCodes.InvalidCamera, $"{field} has an empty entry; use e.g. '1,3'.");
            set.Add(CameraId(part, field)!.Value);
        }
        return set;
    }

    /// <summary>An ISO 8601 timestamp; without an offset it is taken as UTC. Code <c>invalid_timestamp</c>.</summary>
    public static DateTimeOffset? Timestamp(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        if (!DateTimeOffset.TryParse(value.Trim(), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var t))
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidTimestamp,
                $"{field} must be an ISO 8601 timestamp such as 2024-05-01T12:30:00Z; got '{Clip(value)}'.");
        return t;
    }

    /// <summary>An optional text field of at most <paramref name="maxLength"/> characters. Code <c>invalid_field</c>.</summary>
    public static string? Text(string? value, string field, int maxLength = 256)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        value = value.Trim();
        if (value.Length > maxLength || value.Any(char.IsControl))
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidField, $"{field} must be at most {maxLength} printable characters.");
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
            IncludeCameras = include, ExcludeCameras = exclude, CapturedFrom = fromTime, CapturedTo = toTime, Label = labelText,
        };
    }

    /// <summary>Paging of <c>GET /gallery</c>: after_id ≥ 0, limit 1..max. Code <c>invalid_paging</c>.</summary>
    public static (long AfterId, int Limit) Paging(string? afterId, string? limit, int defaultLimit, int maxLimit)
    {
        long after = 0;
        if (!string.IsNullOrWhiteSpace(afterId)
            && (!long.TryParse(afterId.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out after) || after < 0))
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidPaging, $"after_id must be a non-negative integer; got '{Clip(afterId)}'.");
        int size = defaultLimit;
        if (!string.IsNullOrWhiteSpace(limit)
            && (!int.TryParse(limit.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out size) || size < 1 || size > maxLimit))
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidPaging, $"limit must be an integer from 1 to {maxLimit}; got '{Clip(limit)}'.");
        return (after, size);
    }

    private static string Clip(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
