using Microsoft.AspNetCore.StaticFiles;

namespace SanReid.Api.Extensions;

/// <summary>Response headers of the search page's static files (wwwroot).</summary>
public static class SearchPage
{
    /// <summary>
    /// The page runs only its own script and style and shows images from this origin or object URLs (thumbnails are
    /// fetched with the key header, then shown as blob: URLs); no framing. <c>no-cache</c>: an upgrade's page is seen at
    /// once (ETags make the check cheap).
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self' blob:; " +
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    public static void AddHeaders(StaticFileResponseContext context)
    {
        var headers = context.Context.Response.Headers;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        if (context.File.Name.EndsWith(".html", StringComparison.OrdinalIgnoreCase))
        {
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers["Referrer-Policy"] = "no-referrer";
        }
    }
}
