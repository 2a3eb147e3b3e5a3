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
            // The typed form (GalleryAddForm): camera_id an integer, captured_at a date-time, images an array of files.
            .Accepts<GalleryAddForm>("multipart/form-data")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .RequireAuthorization(ApiPolicies.Write);

        app.MapMethods("/gallery/{id:long}", GetAndHead, GetItem)
            .WithName("GetGalleryItem")
            .WithSummary("Get one gallery item's metadata")
            .WithTags("Gallery")
            .ProducesProblem(StatusCodes.Status404NotFound);

        app.MapDelete("/gallery/{id:long}", DeleteItem)
            .WithName("DeleteGalleryItem")
            .WithSummary("Delete a gallery item (it never appears in search again)")
            .WithTags("Gallery")
            .ProducesProblem(StatusCodes.Status404NotFound)
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
    public static async Task<Results<Created<GalleryAddResponse>, ProblemHttpResult>> AddItems(
        [AsParameters] GalleryServices services, GalleryAddForm form, CancellationToken cancellationToken)
    {
        var uploads = services.Uploads.DecodeAll(form.Files, "images", keepPreview: true);
        if (form.ExternalId is not null && uploads.Count > 1)
        {
            return Problems.From(ApiProblemException.BadRequest(ErrorCodes.InvalidField,
                $"external_id must be unique, so it can go with one image only; got {uploads.Count} images."));
        }

        var embeddings = await services.Batcher.EmbedAsync(uploads.Select(u => u.Crop).ToList(), cancellationToken);
        // Not cancellable from here on: once embedded, the add commits (or fails) as a whole.
        var added = services.Store.Add(uploads
            .Select((u, i) => new NewGalleryItem(embeddings[i], form.ExternalId, form.CameraId, form.Label, form.CapturedAt, u.FileName,
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

    public static Ok<GalleryPageResponse> ListItems([AsParameters] GalleryServices services, GalleryListQuery query)
    {
        var page = services.Store.List(query.Filter, query.AfterId, query.Limit);
        var items = page.Items.Select(GalleryItemResponse.From).ToList();
        return TypedResults.Ok(new GalleryPageResponse(page.Total, items.Count, page.NextAfterId, items));
    }
}
