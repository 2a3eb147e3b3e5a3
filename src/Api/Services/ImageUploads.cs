using Microsoft.Extensions.Options;
using SanReid.Api.Model;
using SanReid.Api.Options;
using SanReid.Imaging;
using SanReid.Inference;

namespace SanReid.Api.Services;

/// <summary>An uploaded image decoded to the model's input size; <see cref="FileName"/> is the upload's name as
/// <see cref="ClientText.FileName"/> cleans it (last path segment, NFC, no hidden characters, at most 255 characters).</summary>
public sealed record DecodedUpload(string FileName, RgbCrop Crop);

/// <summary>
/// The decoder <see cref="ImageUploads"/> runs: <see cref="CropDecoder.DecodeAndResize"/> (registered in
/// Extensions.AddApplicationServices). A seam for the tests that inject server faults (an assembly that cannot load);
/// bad bytes are always tested through the real decoder. <paramref name="cancellationToken"/> is the request's
/// <see cref="HttpContext.RequestAborted"/>: decoding stops when the client goes away.
/// </summary>
public delegate RgbCrop CropDecode(Stream stream, CropDecoderOptions options, CancellationToken cancellationToken);

/// <summary>
/// Turns multipart image fields into model-ready crops through <see cref="CropDecoder"/>, enforcing the per-request
/// limits. Errors name the offending upload.
/// </summary>
/// <remarks>The request's abort token comes from <see cref="IHttpContextAccessor"/> rather than from each endpoint, so a
/// client that disconnects stops its decoding (ImageSharp's JPEG and TIFF decoders check it between rows and strips)
/// without every handler passing it along.</remarks>
public sealed class ImageUploads(
    OnnxEmbedder embedder, IOptions<LimitsOptions> limits, IOptions<GalleryImageOptions> images, CropDecode decode, IHttpContextAccessor http)
{
    private readonly LimitsOptions _limits = limits.Value;

    // The preview the gallery keeps (GalleryImageOptions), or null when images are off.
    private readonly CropPreviewOptions? _preview = images.Value.Enabled
        ? new CropPreviewOptions { MaxHeight = images.Value.MaxHeight, MaxWidth = images.Value.MaxWidth, Quality = images.Value.Quality }
        : null;

    /// <summary>Decodes every file of field <paramref name="field"/> (1 ≤ count ≤ MaxImagesPerRequest), in upload order.
    /// With <paramref name="keepPreview"/> each crop also carries the JPEG the gallery keeps (<see cref="RgbCrop.Preview"/>),
    /// when <see cref="GalleryImageOptions.Enabled"/>.</summary>
    /// <exception cref="ApiProblemException"><c>missing_field</c>, <c>too_many_images</c>.</exception>
    /// <exception cref="ImageInputException">An upload that is not an image, corrupt or too large (message names it).</exception>
    public IReadOnlyList<DecodedUpload> DecodeAll(IFormFileCollection? form, string field, bool keepPreview = false)
    {
        var files = RequiredFiles(form, field);
        if (files.Count > _limits.MaxImagesPerRequest)
        {
            throw ApiProblemException.BadRequest(ErrorCodes.TooManyImages,
                $"{files.Count} images in one request; the limit is {_limits.MaxImagesPerRequest}.");
        }

        return files.Select(f => Decode(f, keepPreview)).ToList();
    }

    /// <summary>Decodes exactly one file of field <paramref name="field"/>.</summary>
    /// <exception cref="ApiProblemException"><c>missing_field</c>, <c>too_many_images</c> (more than one).</exception>
    /// <exception cref="ImageInputException">Not an image, corrupt or too large.</exception>
    public DecodedUpload DecodeOne(IFormFileCollection? form, string field)
    {
        var files = RequiredFiles(form, field);
        if (files.Count > 1)
            throw ApiProblemException.BadRequest(ErrorCodes.TooManyImages, $"Field '{field}' takes one image; got {files.Count}.");
        return Decode(files[0], keepPreview: false);
    }

    private DecodedUpload Decode(IFormFile file, bool keepPreview)
    {
        string name = ClientText.FileName(file.FileName);
        try
        {
            using var stream = file.OpenReadStream();
            var aborted = http.HttpContext?.RequestAborted ?? CancellationToken.None;
            var options = embedder.DecoderOptions(_limits.MaxPixels, _limits.MaxImageBytes) with { Preview = keepPreview ? _preview : null };
            return new DecodedUpload(name, decode(stream, options, aborted));
        }
        catch (ImageInputException e)
        {
            throw e.WithSource($"'{ClientText.ForDisplay(name)}'"); // quoted client text is clipped (README)
        }
    }

    // The files of field, at least one: missing_field otherwise, naming the file fields that were sent.
    private static IReadOnlyList<IFormFile> RequiredFiles(IFormFileCollection? form, string field)
    {
        var files = form?.GetFiles(field) ?? [];
        if (files.Count == 0)
        {
            throw ApiProblemException.BadRequest(ErrorCodes.MissingField,
                $"The multipart form has no file field '{field}'" + OtherFields(form) + ".");
        }

        return files;
    }

    private static string OtherFields(IFormFileCollection? form) =>
        form is { Count: > 0 } ? $" (file fields sent: {string.Join(", ", form.Select(f => ClientText.ForDisplay(f.Name)).Distinct())})" : "";
}
