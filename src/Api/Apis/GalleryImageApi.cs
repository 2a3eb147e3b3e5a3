using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using SanReid.Api.Model;
using SanReid.Index;

namespace SanReid.Api.Apis;

/// <summary><c>GET /api/v1/gallery/{id}/image</c>: the crop kept with a gallery item (SanReid:Gallery:Images).</summary>
public static class GalleryImageApi
{
    /// <summary>
    /// Browsers keep the image but ask again before each use (a 304 costs no body). Not max-age: ids restart in a new
    /// gallery database, and an operator confirming a match must never be shown a cached crop of another person.
    /// Private: with SanReid:Auth:RequireKeyForReads the image is behind a key, so shared caches must not keep it.
    /// </summary>
    public const string CacheControl = "private, no-cache";

    public static IEndpointRouteBuilder MapGalleryImageApi(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/gallery/{id:long}/image", GalleryApi.GetAndHead, GetImage)
            .WithName("GetGalleryItemImage")
            .WithSummary("Get the crop stored with a gallery item")
            .WithDescription("image/jpeg: the upload as decoded and oriented, scaled to fit SanReid:Gallery:Images (default 256 x 256) "
                + "with its aspect ratio kept. ETag is the SHA-256 of the bytes; If-None-Match gives 304. 404 when the item "
                + "does not exist or has no image (added with images off, or imported as an embedding).")
            .WithTags("Gallery")
            .Produces(StatusCodes.Status200OK, contentType: "image/jpeg")
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    /// <summary>The image with a strong ETag; the framework's file result answers If-None-Match (304) and Range.</summary>
    public static Results<FileContentHttpResult, ProblemHttpResult> GetImage(HttpContext context, GalleryStore store, long id)
    {
        GalleryImage? image = store.GetImage(id);
        if (image is null)
        {
            return store.Get(id) is null
                ? Problems.NotFound($"No gallery item with id {id}.")
                : Problems.NotFound($"Gallery item {id} has no stored image (it was added with SanReid:Gallery:Images:Enabled off, or imported as an embedding).");
        }

        context.Response.Headers.CacheControl = CacheControl;
        return TypedResults.File(image.Bytes, image.MediaType, entityTag: new EntityTagHeaderValue($"\"{image.Sha256}\""));
    }
}
