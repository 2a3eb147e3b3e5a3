using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SanReid.Api.Auth;
using SanReid.Api.Extensions;
using SanReid.Api.Model;
using SanReid.Api.Services;
using SanReid.Index;

namespace SanReid.Api.Apis;

/// <summary><c>/api/v1/gallery</c>: add crops (embedded on arrival), get, list and delete gallery items.</summary>
public static class GalleryApi
{
    /// <summary>GET routes answer HEAD too (same status and headers, no body: Kestrel drops it).</summary>
    internal static readonly string[] GetAndHead = [HttpMethods.Get, HttpMethods.Head];

    public static IEndpointRouteBuilder MapGalleryApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/gallery", AddItems)
            .WithName("AddGalleryItems")
            .WithSummary("Add person crops to the gallery")
            .WithDescription("multipart/form-data: files in field 'images'; optional camera_id (integer), label, "
                + "captured_at (ISO 8601; UTC when no offset) and external_id (unique; only with a single image) apply to every image. "
                + "All images are added or none. A duplicate external_id gives 409.")
            .WithTags("Gallery")
            .Accepts<IFormFileCollection>("multipart/form-data")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .RequireAuthorization(ApiPolicies.Write);

        app.MapMethods("/gallery/{id:long}", GetAndHead, GetItem)
            .WithName("GetGalleryItem")
            .WithSummary("Get one gallery item's metadata")
            .WithTags("Gallery");

        app.MapDelete("/gallery/{id:long}", DeleteItem)
            .WithName("DeleteGalleryItem")
            .WithSummary("Delete a gallery item (it never appears in search again)")
            .WithTags("Gallery")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .RequireAuthorization(ApiPolicies.Write);

        app.MapMethods("/gallery", GetAndHead, ListItems)
            .WithName("ListGalleryItems")
            .WithSummary("List gallery items, ids ascending, paged by after_id and limit")
            .WithDescription("Filters: cameras and exclude_cameras (comma-separated ids), from / to (ISO 8601, captured_at in [from, to)), label.")
            .WithTags("Gallery")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    /// <summary>Decodes and embeds every image, then adds them atomically with the shared metadata.</summary>
    public static async Task<Created<GalleryAddResponse>> AddItems(
        [AsParameters] GalleryServices services,
        IFormFileCollection images,
        [FromForm(Name = "camera_id")] string? cameraId,
        [FromForm(Name = "label")] string? label,
        [FromForm(Name = "captured_at")] string? capturedAt,
        [FromForm(Name = "external_id")] string? externalId,
        CancellationToken cancellationToken)
    {
        var camera = RequestParsing.CameraId(cameraId, "camera_id");
        var labelText = RequestParsing.Text(label, "label");
        var captured = RequestParsing.Timestamp(capturedAt, "captured_at");
        var external = RequestParsing.Text(externalId, "external_id");
        var uploads = services.Uploads.DecodeAll(images, "images", keepPreview: true);
        if (external is not null && uploads.Count > 1)
        {
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidField,
                $"external_id must be unique, so it can go with one image only; got {uploads.Count} images.");
        }

        var embeddings = await services.Batcher.EmbedAsync(uploads.Select(u => u.Crop).ToList(), cancellationToken);
        // Not cancellable from here on: once embedded, the add commits (or fails) as a whole.
        var added = services.Store.Add(uploads
            .Select((u, i) => new NewGalleryItem(embeddings[i], external, camera, labelText, captured, u.FileName,
                u.Crop.Preview is { } jpeg ? new GalleryImage(jpeg) : null))
            .ToList());
        var items = added.Select(GalleryItemResponse.From).ToList();
        return TypedResults.Created($"/api/v1/gallery/{items[0].Id}", new GalleryAddResponse(items.Count, items));
    }

    public static Results<Ok<GalleryItemResponse>, ProblemHttpResult> GetItem([AsParameters] GalleryServices services, long id)
    {
        var item = services.Store.Get(id);
        return item is null ? Problems.NotFound($"No gallery item with id {id}.") : TypedResults.Ok(GalleryItemResponse.From(item));
    }

    public static Results<NoContent, ProblemHttpResult> DeleteItem([AsParameters] GalleryServices services, long id) =>
        services.Store.Delete(id) ? TypedResults.NoContent() : Problems.NotFound($"No gallery item with id {id}.");

    public static Ok<GalleryPageResponse> ListItems(
        [AsParameters] GalleryServices services,
        [FromQuery(Name = "after_id")] string? afterId,
        [FromQuery(Name = "limit")] string? limit,
        [FromQuery(Name = "cameras")] string[]? cameras,
        [FromQuery(Name = "exclude_cameras")] string[]? excludeCameras,
        [FromQuery(Name = "from")] string? from,
        [FromQuery(Name = "to")] string? to,
        [FromQuery(Name = "label")] string? label)
    {
        var options = services.Options.Value;
        var (after, size) = RequestParsing.Paging(afterId, limit, options.DefaultPageSize, options.MaxPageSize);
        var filter = RequestParsing.Filter(cameras ?? [], excludeCameras ?? [], from, to, label);
        var page = services.Store.List(filter, after, size);
        var items = page.Items.Select(GalleryItemResponse.From).ToList();
        return TypedResults.Ok(new GalleryPageResponse(page.Total, items.Count, page.NextAfterId, items));
    }
}
