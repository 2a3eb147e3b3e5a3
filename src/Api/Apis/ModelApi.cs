using Microsoft.AspNetCore.Http.HttpResults;
using SanReid.Api.Model;
using SanReid.Api.Services;
using SanReid.Inference;

namespace SanReid.Api.Apis;

/// <summary><c>GET /api/v1/model</c>: what the service embeds with.</summary>
public static class ModelApi
{
    public static IEndpointRouteBuilder MapModelApi(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/model", GalleryApi.GetAndHead, GetModel)
            .WithName("GetModel")
            .WithSummary("The model card, the ONNX signature and metadata, and the execution provider in use")
            .WithTags("Model");
        return app;
    }

    public static Ok<ModelResponse> GetModel(OnnxEmbedder embedder, ModelCardFile card) =>
        TypedResults.Ok(new ModelResponse(
            Path.GetFileName(embedder.ModelPath),
            embedder.ExecutionProvider,
            embedder.ProviderNote,
            embedder.Dimension,
            new TensorInfo(embedder.InputName, "uint8", [-1, embedder.Height, embedder.Width, 3]),
            new TensorInfo(embedder.OutputName, "float32", [-1, embedder.Dimension]),
            embedder.ProducerName,
            embedder.GraphName,
            embedder.Description,
            // ONNX Runtime reports long.MaxValue when the file sets no model_version.
            embedder.Version == long.MaxValue ? null : embedder.Version,
            embedder.Metadata,
            card.Json,
            embedder.Metadata.GetValueOrDefault("precision", "fp32"),
            embedder.Metadata.GetValueOrDefault("flip_tta") == "true"));
}
