using Microsoft.AspNetCore.Http.HttpResults;
using SanReid.Api.Model;
using SanReid.Api.Services;

namespace SanReid.Api.Apis;

/// <summary><c>POST /api/v1/embeddings</c>: images in, unit-norm embeddings out.</summary>
public static class EmbeddingsApi
{
    public static IEndpointRouteBuilder MapEmbeddingsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/embeddings", CreateEmbeddings)
            .WithName("CreateEmbeddings")
            .WithSummary("Embed one or more person crops")
            .WithDescription("multipart/form-data with one or more files in field 'images' (JPEG, PNG, WebP, BMP, GIF, TIFF). "
                + "Returns one D-dimensional unit-norm embedding per image, in upload order.")
            .WithTags("Embeddings")
            // The typed form (EmbeddingsForm): the OpenAPI document gives images as an array of files.
            .Accepts<EmbeddingsForm>("multipart/form-data")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return app;
    }

    /// <summary>Decodes every 'images' file (CropDecoder) and embeds them in one or more ONNX Runtime runs.</summary>
    public static async Task<Ok<EmbeddingsResponse>> CreateEmbeddings(
        [AsParameters] EmbeddingServices services, EmbeddingsForm form, CancellationToken cancellationToken)
    {
        var uploads = services.Uploads.DecodeAll(form.Files, "images");
        var embeddings = await services.Batcher.EmbedAsync(uploads.Select(u => u.Crop).ToList(), cancellationToken);
        var items = uploads.Select((u, i) => new EmbeddingResult(u.FileName, embeddings[i])).ToList();
        return TypedResults.Ok(new EmbeddingsResponse(Path.GetFileName(services.Batcher.Embedder.ModelPath), services.Batcher.Embedder.Dimension, items.Count, items));
    }
}
