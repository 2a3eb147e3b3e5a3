using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using SanReid.Api.Auth;
using SanReid.Api.Extensions;
using SanReid.Api.Model;
using SanReid.Api.Options;
using SanReid.Api.Services;
using SanReid.Index;

namespace SanReid.Api.Apis;

/// <summary>
/// Gallery operations in bulk: <c>DELETE /api/v1/gallery?captured_before=|created_before=</c> (retention) and
/// <c>POST /api/v1/gallery/embeddings</c> (precomputed embeddings from edge devices running the exported ONNX, and
/// migrations).
/// </summary>
public static class GalleryBulkApi
{
    /// <summary>Content type of the compact import form: N x D float32 little-endian, row-major, nothing else.</summary>
    public const string BinaryContentType = "application/octet-stream";

    public static IEndpointRouteBuilder MapGalleryBulkApi(this IEndpointRouteBuilder app)
    {
        app.MapDelete("/gallery", DeleteBefore)
            .WithName("DeleteGalleryItemsBefore")
            .WithSummary("Delete every gallery item captured (or added) before a time")
            .WithDescription("Exactly one of captured_before / created_before (ISO 8601). Items without a capture time are "
                + "not deleted by captured_before. Answers 200 with the number deleted; deleted items never appear in a search.")
            .WithTags("Gallery")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .RequireAuthorization(ApiPolicies.Write);

        app.MapPost("/gallery/embeddings", ImportEmbeddings)
            .WithName("ImportGalleryEmbeddings")
            .WithSummary("Add precomputed embeddings to the gallery")
            .WithDescription("application/json: {\"model\": fingerprint, \"items\": [{\"embedding\": [D floats], \"external_id\", "
                + "\"camera_id\", \"label\", \"captured_at\", \"file_name\"}]}; or application/octet-stream: N x D float32 "
                + "little-endian with model (and optional camera_id, label, captured_at for every row) in the query. "
                + "The model must be the gallery's fingerprint (409 model_mismatch otherwise; /health/ready shows it). "
                + "Embeddings must be finite unit vectors of the gallery's dimension. All rows are added or none.")
            .WithTags("Gallery")
            .Accepts<EmbeddingImportRequest>("application/json", BinaryContentType)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .RequireAuthorization(ApiPolicies.Write);
        return app;
    }

    public static async Task<Ok<BulkDeleteResponse>> DeleteBefore(
        [AsParameters] GalleryServices services, GalleryDeleteBeforeQuery query, CancellationToken cancellationToken)
    {
        var (column, before) = (query.Column, query.Before);
        long deleted = await Task.Run(() => services.Store.DeleteBefore(column, before, cancellationToken), CancellationToken.None);
        return TypedResults.Ok(new BulkDeleteResponse(deleted, column == GalleryTimeColumn.CapturedAt ? "captured_at" : "created_at", before));
    }

    public static async Task<Created<GalleryAddResponse>> ImportEmbeddings(
        HttpContext context, GalleryStore store, IOptions<ImportOptions> importOptions, CancellationToken cancellationToken)
    {
        int maxRows = importOptions.Value.MaxRows;
        int d = store.Dimension;
        var request = context.Request;
        string? mediaType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        List<NewGalleryItem> items;
        string? model;
        if (mediaType == "application/json")
        {
            EmbeddingImportRequest? body;
            try
            {
                body = await JsonSerializer.DeserializeAsync<EmbeddingImportRequest>(request.Body, ImportJson, cancellationToken);
            }
            catch (JsonException e)
            {
                throw ApiProblemException.BadRequest(ErrorCodes.InvalidJson, JsonImportErrors.Describe(e));
            }

            if (body?.Items is not { } rows)
                throw ApiProblemException.BadRequest(ErrorCodes.MissingField, "The body needs \"model\" and \"items\" (an array of {\"embedding\": [...]}).");
            RefuseTooMany(rows.Count, maxRows);
            model = body.Model;
            RequireModel(store, model);
            items = new List<NewGalleryItem>(rows.Count);
            var externalIds = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < rows.Count; i++)
            {
                var row = rows[i] ?? throw ApiProblemException.BadRequest(ErrorCodes.InvalidEmbedding, $"items[{i}] is null.");
                float[] embedding = row.Embedding ?? throw ApiProblemException.BadRequest(ErrorCodes.InvalidEmbedding, $"items[{i}] has no embedding.");
                CheckEmbedding(embedding, d, $"items[{i}].embedding");
                string? externalId = RequestParsing.Text(row.ExternalId, $"items[{i}].external_id");
                if (externalId is not null && !externalIds.TryAdd(externalId, i))
                {
                    throw ApiProblemException.BadRequest(ErrorCodes.InvalidField,
                        $"items[{i}].external_id repeats items[{externalIds[externalId]}].external_id ('{ClientText.ForDisplay(externalId)}'): "
                        + "an external id names one item; nothing was stored.");
                }

                items.Add(new NewGalleryItem(
                    embedding,
                    externalId,
                    row.CameraId is { } c ? RequestParsing.CameraId(c.ToString(System.Globalization.CultureInfo.InvariantCulture), $"items[{i}].camera_id") : null,
                    RequestParsing.Text(row.Label, $"items[{i}].label"),
                    RequestParsing.Timestamp(row.CapturedAt, $"items[{i}].captured_at"),
                    row.FileName is null ? null : ClientText.FileName(row.FileName)));
            }
        }
        else if (mediaType == BinaryContentType)
        {
            // The binary form's metadata is in the query; read as every query record reads it (RequestText.One: one
            // value, valid UTF-8), and checked here, after the model, in the order the endpoint documents.
            var query = RequestText.FromQuery(request.HttpContext);
            query.RefuseUnknownFields("POST /api/v1/gallery/embeddings (application/octet-stream)", ["model", "camera_id", "label", "captured_at"], []);
            model = query.One("model");
            long rowBytes = (long)d * sizeof(float);
            if (request.ContentLength is { } length)
            {
                if (length % rowBytes != 0)
                {
                    throw ApiProblemException.BadRequest(ErrorCodes.InvalidEmbedding,
                        $"The body has {length} bytes, not a multiple of {rowBytes} ({d} float32 values per embedding).");
                }

                RefuseTooMany(length / rowBytes, maxRows);
            }

            RequireModel(store, model);
            var camera = RequestParsing.CameraId(query.One("camera_id"), "camera_id");
            var label = RequestParsing.Text(query.One("label"), "label");
            var captured = RequestParsing.Timestamp(query.One("captured_at"), "captured_at");
            byte[] bytes = await ReadCapped(request.Body, maxRows * rowBytes, maxRows, cancellationToken);
            if (bytes.Length % rowBytes != 0 || bytes.Length == 0)
            {
                throw ApiProblemException.BadRequest(ErrorCodes.InvalidEmbedding,
                    $"The body has {bytes.Length} bytes, not a positive multiple of {rowBytes} ({d} float32 values per embedding).");
            }

            int n = (int)(bytes.Length / rowBytes);
            items = new List<NewGalleryItem>(n);
            for (int i = 0; i < n; i++)
            {
                var embedding = new float[d];
                for (int j = 0; j < d; j++)
                    embedding[j] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(i * rowBytes) + j * sizeof(float)));
                CheckEmbedding(embedding, d, $"row {i}");
                items.Add(new NewGalleryItem(embedding, null, camera, label, captured));
            }
        }
        else
        {
            throw new ApiProblemException(StatusCodes.Status415UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, "Unsupported media type",
                $"Send application/json or {BinaryContentType} (N x {d} float32 little-endian); got '{request.ContentType}'.");
        }

        if (items.Count == 0)
            throw ApiProblemException.BadRequest(ErrorCodes.MissingField, "No embeddings in the request.");
        var added = await Task.Run(() => store.Add(items), CancellationToken.None);
        var response = added.Select(GalleryItemResponse.From).ToList();
        return TypedResults.Created($"/api/v1/gallery/{response[0].Id}", new GalleryAddResponse(response.Count, response));
    }

    /// <summary>
    /// The JSON import's reader: snake_case names like every response, and stricter than the Web defaults: numbers must
    /// be JSON numbers (not "0.5" or "3" as strings) and a property given twice in one object is refused, so a body means
    /// one thing. Non-finite numbers are not JSON and stay refused.
    /// </summary>
    private static readonly JsonSerializerOptions ImportJson = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
        AllowDuplicateProperties = false,
    };

    private static void RefuseTooMany(long rows, int maxRows)
    {
        if (rows > maxRows)
        {
            throw new ApiProblemException(StatusCodes.Status413PayloadTooLarge, ErrorCodes.TooManyEmbeddings, "Too many embeddings",
                $"{rows} embeddings in one request; at most {maxRows} (SanReid:Import:MaxRows). Send them in several requests.");
        }
    }

    private static void RequireModel(GalleryStore store, string? model)
    {
        string? expected = store.EmbeddingModel;
        if (string.IsNullOrWhiteSpace(model) || expected is null || !string.Equals(model.Trim(), expected, StringComparison.Ordinal))
        {
            throw new ApiProblemException(StatusCodes.Status409Conflict, ErrorCodes.ModelMismatch, "Model mismatch",
                $"The gallery holds embeddings of model '{expected ?? "(none recorded)"}'; the request names "
                + $"'{(string.IsNullOrWhiteSpace(model) ? "(none)" : model.Length > 80 ? model[..80] + "…" : model)}'. Embeddings of "
                + "different models are not comparable: embed with the gallery's model and name its fingerprint in \"model\".");
        }
    }

    /// <summary>Finite, the gallery's dimension, L2 norm within 1e-3 of 1 (what the model emits). Code <c>invalid_embedding</c>.</summary>
    private static void CheckEmbedding(float[] embedding, int d, string what)
    {
        if (embedding.Length != d)
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidEmbedding, $"{what} has {embedding.Length} values; the gallery's embeddings have {d}.");
        for (int j = 0; j < embedding.Length; j++)
        {
            if (!float.IsFinite(embedding[j]))
                throw ApiProblemException.BadRequest(ErrorCodes.InvalidEmbedding, $"{what}[{j}] is not a finite number.");
        }

        float norm = TensorPrimitives.Norm(embedding);
        if (Math.Abs(norm - 1f) > GalleryStore.NormTolerance)
        {
            throw ApiProblemException.BadRequest(ErrorCodes.InvalidEmbedding,
                $"{what} has L2 norm {norm:G6}; embeddings must be unit vectors (norm 1 ± {GalleryStore.NormTolerance}), as the model emits them.");
        }
    }

    private static async Task<byte[]> ReadCapped(Stream body, long maxBytes, int maxRows, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                RefuseTooMany(maxRows + 1L, maxRows);
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}

/// <summary>JSON form of <c>POST /api/v1/gallery/embeddings</c>.</summary>
public sealed record EmbeddingImportRequest(string? Model, IReadOnlyList<EmbeddingImportItem?>? Items);

/// <summary>One imported embedding and its metadata (captured_at ISO 8601).</summary>
public sealed record EmbeddingImportItem(float[]? Embedding, string? ExternalId, int? CameraId, string? Label, string? CapturedAt, string? FileName);

/// <summary>Response of <c>DELETE /api/v1/gallery?captured_before=</c>: how many items were deleted.</summary>
public sealed record BulkDeleteResponse(long Deleted, string Column, DateTimeOffset Before);
