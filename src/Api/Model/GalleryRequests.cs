using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using SanReid.Api.Options;
using SanReid.Api.Services;
using SanReid.Index;

namespace SanReid.Api.Model;

/// <summary>
/// The typed form of <c>POST /api/v1/gallery</c> (multipart/form-data): files <c>images</c>, and for every image
/// <c>camera_id</c> (integer 0..1,000,000), <c>label</c>, <c>captured_at</c> (ISO 8601; UTC when no offset) and
/// <c>external_id</c> (unique; only with a single image). Checked in that order (<c>invalid_camera</c>,
/// <c>invalid_field</c>, <c>invalid_timestamp</c>, <c>invalid_field</c>); the images are decoded by the handler.
/// </summary>
public sealed record GalleryAddForm : IValidatable
{
    /// <summary>The crops to add (one or more files).</summary>
    [JsonPropertyName("images")]
    public IReadOnlyList<IFormFile>? Images { get; init; }

    /// <summary>Camera id of every image, 0..1,000,000.</summary>
    [JsonPropertyName("camera_id")]
    public int? CameraId { get; init; }

    /// <summary>Label of every image (NFC, trimmed, at most 256 characters).</summary>
    [JsonPropertyName("label")]
    public string? Label { get; init; }

    /// <summary>Capture time of every image.</summary>
    [JsonPropertyName("captured_at")]
    public DateTimeOffset? CapturedAt { get; init; }

    /// <summary>The client's id of the item (unique in the gallery; with one image only).</summary>
    [JsonPropertyName("external_id")]
    public string? ExternalId { get; init; }

    /// <summary>The file parts of the form (the handler decodes field <c>images</c> from them).</summary>
    [JsonIgnore]
    public IFormFileCollection? Files { get; init; }

    [JsonIgnore]
    private RequestText? Text { get; init; }

    /// <summary>Binds the form's text and files; <see cref="Validate"/> parses and checks them.</summary>
    /// <exception cref="BadHttpRequestException">415: the body is not a form.</exception>
    public static async ValueTask<GalleryAddForm?> BindAsync(HttpContext context)
    {
        var text = await RequestText.FromFormAsync(context);
        return new GalleryAddForm { Text = text, Files = text.Files, Images = text.Files?.GetFiles("images") };
    }

    /// <exception cref="ApiProblemException">400 <c>invalid_camera</c>, <c>invalid_field</c>, <c>invalid_timestamp</c>.</exception>
    public IValidatable Validate(IServiceProvider services)
    {
        var text = Text ?? throw new InvalidOperationException("GalleryAddForm is bound by BindAsync.");
        text.RefuseUnknownFields("POST /api/v1/gallery", ["camera_id", "label", "captured_at", "external_id"], ["images"]);
        return this with
        {
            CameraId = RequestParsing.CameraId(text.One("camera_id"), "camera_id"),
            Label = RequestParsing.Text(text.One("label"), "label"),
            CapturedAt = RequestParsing.Timestamp(text.One("captured_at"), "captured_at"),
            ExternalId = RequestParsing.Text(text.One("external_id"), "external_id"),
        };
    }
}

/// <summary>
/// The query of <c>GET /api/v1/gallery</c>: paging (<c>after_id</c> ≥ 0, <c>limit</c> 1..MaxPageSize, default
/// DefaultPageSize; <c>invalid_paging</c>) and the filters shared with search (<c>cameras</c>,
/// <c>exclude_cameras</c>, <c>from</c>, <c>to</c>, <c>label</c>), checked in that order.
/// </summary>
public sealed record GalleryListQuery : IQueryRequest
{
    /// <summary>List items with ids above this one (the previous page's next_after_id); 0: from the start.</summary>
    [JsonPropertyName("after_id")]
    public long AfterId { get; init; }

    /// <summary>Items per page, 1..MaxPageSize.</summary>
    [JsonPropertyName("limit")]
    public int Limit { get; init; }

    /// <summary>Only these cameras (comma-separated or repeated); null: all.</summary>
    [JsonPropertyName("cameras")]
    public IReadOnlyCollection<int>? Cameras { get; init; }

    /// <summary>Not these cameras; null: none excluded.</summary>
    [JsonPropertyName("exclude_cameras")]
    public IReadOnlyCollection<int>? ExcludeCameras { get; init; }

    /// <summary>Earliest captured_at (inclusive).</summary>
    [JsonPropertyName("from")]
    public DateTimeOffset? From { get; init; }

    /// <summary>Latest captured_at (exclusive).</summary>
    [JsonPropertyName("to")]
    public DateTimeOffset? To { get; init; }

    /// <summary>Only items with this label.</summary>
    [JsonPropertyName("label")]
    public string? Label { get; init; }

    /// <summary>The gallery filter of the query; null: none.</summary>
    [JsonIgnore]
    public GalleryFilter? Filter { get; init; }

    [JsonIgnore]
    private RequestText? Text { get; init; }

    /// <summary>Binds the query string; <see cref="Validate"/> parses and checks it.</summary>
    public static ValueTask<GalleryListQuery?> BindAsync(HttpContext context) =>
        ValueTask.FromResult<GalleryListQuery?>(new GalleryListQuery { Text = RequestText.FromQuery(context) });

    /// <exception cref="ApiProblemException">400 <c>invalid_paging</c>, <c>invalid_camera</c>, <c>invalid_timestamp</c>, <c>invalid_field</c>.</exception>
    public IValidatable Validate(IServiceProvider services)
    {
        var text = Text ?? throw new InvalidOperationException("GalleryListQuery is bound by BindAsync.");
        text.RefuseUnknownFields("GET /api/v1/gallery", ["after_id", "limit", "cameras", "exclude_cameras", "from", "to", "label"], []);
        var options = services.GetRequiredService<IOptions<GalleryOptions>>().Value;
        var (after, limit) = RequestParsing.Paging(text.One("after_id"), text.One("limit"), options.DefaultPageSize, options.MaxPageSize);
        var filter = RequestParsing.Filter(text["cameras"], text["exclude_cameras"], text.One("from"), text.One("to"), text.One("label"));
        return this with
        {
            AfterId = after,
            Limit = limit,
            Cameras = filter?.IncludeCameras,
            ExcludeCameras = filter?.ExcludeCameras,
            From = filter?.CapturedFrom,
            To = filter?.CapturedTo,
            Label = filter?.Label,
            Filter = filter,
        };
    }
}

/// <summary>
/// The query of <c>DELETE /api/v1/gallery</c> (retention): exactly one of <c>captured_before</c> and
/// <c>created_before</c> (ISO 8601; <c>invalid_timestamp</c>, then <c>missing_field</c> for none or both).
/// </summary>
public sealed record GalleryDeleteBeforeQuery : IQueryRequest
{
    /// <summary>Delete items captured before this instant (items without a capture time stay).</summary>
    [JsonPropertyName("captured_before")]
    public DateTimeOffset? CapturedBefore { get; init; }

    /// <summary>Delete items added before this instant.</summary>
    [JsonPropertyName("created_before")]
    public DateTimeOffset? CreatedBefore { get; init; }

    /// <summary>The time column the query names.</summary>
    [JsonIgnore]
    public GalleryTimeColumn Column => CapturedBefore is not null ? GalleryTimeColumn.CapturedAt : GalleryTimeColumn.CreatedAt;

    /// <summary>The instant the query names.</summary>
    [JsonIgnore]
    public DateTimeOffset Before => CapturedBefore ?? CreatedBefore ?? default;

    [JsonIgnore]
    private RequestText? Text { get; init; }

    /// <summary>Binds the query string; <see cref="Validate"/> parses and checks it.</summary>
    public static ValueTask<GalleryDeleteBeforeQuery?> BindAsync(HttpContext context) =>
        ValueTask.FromResult<GalleryDeleteBeforeQuery?>(new GalleryDeleteBeforeQuery { Text = RequestText.FromQuery(context) });

    /// <exception cref="ApiProblemException">400 <c>invalid_timestamp</c>, <c>missing_field</c>.</exception>
    public IValidatable Validate(IServiceProvider services)
    {
        // Only the two cut-offs: a filter given here (cameras=1, label=...) is refused, never ignored, since ignoring it
        // would delete every camera's items before the date.
        var text = Text ?? throw new InvalidOperationException("GalleryDeleteBeforeQuery is bound by BindAsync.");
        text.RefuseUnknownFields("DELETE /api/v1/gallery", ["captured_before", "created_before"], []);
        var captured = RequestParsing.Timestamp(text.One("captured_before"), "captured_before");
        var created = RequestParsing.Timestamp(text.One("created_before"), "created_before");
        if ((captured is null) == (created is null))
        {
            throw ApiProblemException.BadRequest(ErrorCodes.MissingField,
                "Give exactly one of captured_before and created_before (ISO 8601), e.g. ?captured_before=2026-01-01T00:00:00Z.");
        }

        return this with { CapturedBefore = captured, CreatedBefore = created };
    }
}
