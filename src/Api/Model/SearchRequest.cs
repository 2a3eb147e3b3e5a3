using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using SanReid.Api.Options;
using SanReid.Api.Services;
using SanReid.Index;

namespace SanReid.Api.Model;

/// <summary>
/// The typed form of <c>POST /api/v1/search</c> (multipart/form-data), as the OpenAPI document describes it: one file
/// <c>image</c>, <c>k</c> an integer (1..MaxK, default DefaultK), <c>cameras</c> / <c>exclude_cameras</c> camera ids
/// (0..1,000,000; comma-separated or repeated), <c>from</c> / <c>to</c> ISO 8601 instants (captured_at in [from, to)),
/// <c>label</c>, <c>min_score</c> a cosine in [-1, 1], <c>rerank</c> true or false (default false).
/// </summary>
/// <remarks>
/// Bound by <see cref="BindAsync"/> from the form that <c>Middleware/FormReadingMiddleware</c> has read and checked by
/// <see cref="Validate"/> (run by the validation filter), so a malformed value is a 400 with its own code
/// (<c>invalid_k</c>, <c>invalid_camera</c>, <c>invalid_timestamp</c>, <c>invalid_field</c>, <c>invalid_min_score</c>, <c>invalid_rerank</c>)
/// instead of the framework binder's generic failure. The image itself is decoded by the handler
/// (<see cref="ImageUploads.DecodeOne"/>: <c>missing_field</c>, <c>too_many_images</c>).
/// </remarks>
public sealed record SearchRequest : IValidatable
{
    /// <summary>The query crop (one file).</summary>
    [JsonPropertyName("image")]
    public IFormFile? Image { get; init; }

    /// <summary>Matches to return, 1..MaxK.</summary>
    [JsonPropertyName("k")]
    public int K { get; init; }

    /// <summary>Only these cameras; null: all.</summary>
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

    /// <summary>Only items with this label (NFC, trimmed).</summary>
    [JsonPropertyName("label")]
    public string? Label { get; init; }

    /// <summary>Smallest cosine score returned, in [-1, 1].</summary>
    [JsonPropertyName("min_score")]
    public float? MinScore { get; init; }

    /// <summary>k-reciprocal re-ranking of the top max(k, RerankCandidates) hits (Services/SearchReranker).</summary>
    [JsonPropertyName("rerank")]
    public bool Rerank { get; init; }

    /// <summary>The file parts of the form (the handler decodes field <c>image</c> from them).</summary>
    [JsonIgnore]
    public IFormFileCollection? Files { get; init; }

    /// <summary>The gallery filter of <see cref="Cameras"/>, <see cref="ExcludeCameras"/>, <see cref="From"/>, <see cref="To"/>, <see cref="Label"/>; null: none.</summary>
    [JsonIgnore]
    public GalleryFilter? Filter { get; init; }

    [JsonIgnore]
    private RequestText? Text { get; init; }

    /// <summary>The text fields the form takes; any other field is refused (400 invalid_field).</summary>
    public static readonly string[] TextFields = ["k", "cameras", "exclude_cameras", "from", "to", "label", "min_score", "rerank"];

    /// <summary>Binds the form's text and files; <see cref="Validate"/> parses and checks them.</summary>
    /// <exception cref="BadHttpRequestException">415: the body is not a form.</exception>
    public static async ValueTask<SearchRequest?> BindAsync(HttpContext context)
    {
        var text = await RequestText.FromFormAsync(context);
        return new SearchRequest { Text = text, Files = text.Files, Image = text.Files?.GetFile("image") };
    }

    /// <summary>Order of the checks: k, cameras, exclude_cameras, from, to, label, min_score, rerank.</summary>
    /// <exception cref="ApiProblemException">400 with the field's code.</exception>
    public IValidatable Validate(IServiceProvider services)
    {
        var text = Text ?? throw new InvalidOperationException("SearchRequest is bound by BindAsync.");
        text.RefuseUnknownFields("POST /api/v1/search", TextFields, ["image"]);
        var options = services.GetRequiredService<IOptions<SearchOptions>>().Value;
        int k = RequestParsing.K(text.One("k"), options.DefaultK, options.MaxK);
        var filter = RequestParsing.Filter(text["cameras"], text["exclude_cameras"], text.One("from"), text.One("to"), text.One("label"));
        var minScore = RequestParsing.MinScore(text.One("min_score"));
        var rerank = RequestParsing.Rerank(text.One("rerank"));
        return this with
        {
            K = k,
            Cameras = filter?.IncludeCameras,
            ExcludeCameras = filter?.ExcludeCameras,
            From = filter?.CapturedFrom,
            To = filter?.CapturedTo,
            Label = filter?.Label,
            MinScore = minScore,
            Rerank = rerank,
            Filter = filter,
        };
    }
}
