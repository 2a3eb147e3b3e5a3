using Microsoft.AspNetCore.Http.HttpResults;
using SanReid.Api.Model;
using SanReid.Api.Services;
using SanReid.Index;

namespace SanReid.Api.Apis;

/// <summary><c>POST /api/v1/search</c>: one query crop in, the gallery's top k by cosine score out.</summary>
public static class SearchApi
{
    public static IEndpointRouteBuilder MapSearchApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/search", Search)
            .WithName("Search")
            .WithSummary("Find the gallery items most like a query crop")
            .WithDescription("multipart/form-data: one file in field 'image'; optional k (1..MaxK, default DefaultK), "
                + "cameras / exclude_cameras (comma-separated ids), from / to (ISO 8601, captured_at in [from, to)), label, "
                + "min_score (-1..1), rerank (true/false: k-reciprocal re-ranking of the top max(k, RerankCandidates) hits). "
                + "Matches are in descending score (cosine of unit embeddings), or with rerank by rerank_distance; fewer than k only when fewer items qualify.")
            .WithTags("Search")
            // The typed form (SearchRequest): the OpenAPI document gives k, min_score, the camera ids and the one image their types.
            .Accepts<SearchRequest>("multipart/form-data")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return app;
    }

    public static async Task<Ok<SearchResponse>> Search(
        [AsParameters] SearchServices services,
        SearchRequest request,
        CancellationToken cancellationToken)
    {
        var query = services.Uploads.DecodeOne(request.Files, "image");

        var embedding = (await services.Batcher.EmbedAsync([query.Crop], cancellationToken))[0];
        if (request.Rerank)
        {
            int candidates = Math.Max(request.K, services.Options.Value.RerankCandidates);
            var shortlist = services.Store.Search(embedding, candidates, request.Filter, request.MinScore);
            var reranked = services.Reranker.Rerank(services.Store, embedding, shortlist, request.K);
            var rerankedMatches = reranked.Select((m, i) => Match(i, m.Match, m.Distance)).ToList();
            return TypedResults.Ok(new SearchResponse(
                query.FileName, request.K, rerankedMatches.Count, services.Store.Count, rerankedMatches, shortlist.Count));
        }

        var hits = services.Store.Search(embedding, request.K, request.Filter, request.MinScore);
        var matches = hits.Select((m, i) => Match(i, m, null)).ToList();
        return TypedResults.Ok(new SearchResponse(query.FileName, request.K, matches.Count, services.Store.Count, matches));
    }

    private static SearchMatch Match(int index, GalleryMatch m, float? rerankDistance) =>
        new(index + 1, m.Item.Id, m.Score, m.Item.ExternalId, m.Item.CameraId, m.Item.Label, m.Item.CapturedAt, m.Item.CreatedAt,
            m.Item.SourceFileName, ImageUrls.For(m.Item), rerankDistance);
}
