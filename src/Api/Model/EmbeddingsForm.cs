using System.Text.Json.Serialization;

namespace SanReid.Api.Model;

/// <summary>
/// The typed form of <c>POST /api/v1/embeddings</c> (multipart/form-data): files <c>images</c> and no text fields (the
/// validation filter refuses any other field); the images are counted and decoded by the handler
/// (<see cref="Services.ImageUploads.DecodeAll"/>: <c>missing_field</c>, <c>too_many_images</c>).
/// </summary>
public sealed record EmbeddingsForm : IValidatable
{
    [JsonIgnore]
    private RequestText? Text { get; init; }

    /// <summary>Refuses every field but the <c>images</c> files.</summary>
    /// <exception cref="ApiProblemException">400 <c>invalid_field</c>.</exception>
    public IValidatable Validate(IServiceProvider services)
    {
        (Text ?? throw new InvalidOperationException("EmbeddingsForm is bound by BindAsync.")).RefuseUnknownFields("POST /api/v1/embeddings", [], ["images"]);
        return this;
    }

    /// <summary>The crops to embed (one or more files), answered in upload order.</summary>
    [JsonPropertyName("images")]
    public IReadOnlyList<IFormFile>? Images { get; init; }

    /// <summary>The file parts of the form (the handler decodes field <c>images</c> from them).</summary>
    [JsonIgnore]
    public IFormFileCollection? Files { get; init; }

    /// <summary>Binds the form's files.</summary>
    /// <exception cref="BadHttpRequestException">415: the body is not a form.</exception>
    public static async ValueTask<EmbeddingsForm?> BindAsync(HttpContext context)
    {
        var text = await RequestText.FromFormAsync(context);
        return new EmbeddingsForm { Text = text, Files = text.Files, Images = text.Files?.GetFiles("images") };
    }
}
