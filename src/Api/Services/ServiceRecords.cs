using Microsoft.Extensions.Options;
using SanReid.Api.Options;
using SanReid.Index;

namespace SanReid.Api.Services;

/// <summary>Dependencies of the embeddings endpoint.</summary>
public sealed record EmbeddingServices(EmbeddingBatcher Batcher, ImageUploads Uploads);

/// <summary>Dependencies of the gallery endpoints.</summary>
public sealed record GalleryServices(GalleryStore Store, EmbeddingBatcher Batcher, ImageUploads Uploads, IOptions<GalleryOptions> Options);

/// <summary>Dependencies of the search endpoint.</summary>
public sealed record SearchServices(GalleryStore Store, EmbeddingBatcher Batcher, ImageUploads Uploads, IOptions<SearchOptions> Options, SearchReranker Reranker);
