namespace SanReid.Api.Extensions;

/// <summary>
/// A multipart body longer than <see cref="Microsoft.AspNetCore.Http.Features.FormOptions.MultipartBodyLengthLimit"/>
/// (413 <c>payload_too_large</c>), thrown by <see cref="FormReading"/> as soon as one byte more than the limit arrives.
/// Its own type so that the exception handler maps it by type, not by message text.
/// </summary>
public sealed class FormBodyTooLargeException(long limit)
    : Exception($"The multipart body is over the limit of {limit:N0} bytes.")
{
    /// <summary>The limit in bytes.</summary>
    public long Limit { get; } = limit;
}
