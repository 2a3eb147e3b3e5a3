using Microsoft.Extensions.Options;
using SanReid.Api.Model;
using SanReid.Api.Options;
using SanReid.Api.Services;

namespace SanReid.Api.Extensions;

/// <summary>Endpoint metadata: an <c>/api/v1</c> endpoint and whether it changes the gallery (needs a key).</summary>
public sealed record ApiAccess(bool Mutates)
{
    public static readonly ApiAccess Read = new(false);
    public static readonly ApiAccess Write = new(true);
}

/// <summary>
/// Checks <c>X-Api-Key</c> before the body is read (so an unauthorised upload is refused without reading it):
/// a present key must be valid (401 <c>invalid_api_key</c>); a missing key is refused with 401
/// <c>api_key_required</c> for mutations unless <see cref="AuthOptions.AllowAnonymousWrites"/>, and for reads only
/// when <see cref="AuthOptions.RequireKeyForReads"/>. Endpoints without <see cref="ApiAccess"/> (health, metrics,
/// Swagger) are not checked.
/// </summary>
public static class ApiKeyMiddleware
{
    public const string KeyIdItem = "sanreid.api_key_id";

    public static void UseApiKeys(this WebApplication app) => app.Use(async (context, next) =>
    {
        var metadata = context.GetEndpoint()?.Metadata.GetOrderedMetadata<ApiAccess>();
        if (metadata is not { Count: > 0 })
        {
            await next(context);
            return;
        }
        // The group marks every endpoint Read; a mutation adds Write (metadata order between group and endpoint is not relied on).
        var access = metadata.Any(a => a.Mutates) ? ApiAccess.Write : ApiAccess.Read;
        var options = context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value;
        var keys = context.RequestServices.GetRequiredService<ApiKeyStore>();
        string? presented = context.Request.Headers[AuthOptions.HeaderName].FirstOrDefault();
        if (!string.IsNullOrEmpty(presented))
        {
            if (!keys.TryMatch(presented, out var keyId))
            {
                await Refuse(context, ErrorCodes.InvalidApiKey, $"The {AuthOptions.HeaderName} header does not hold a valid API key.");
                return;
            }
            context.Items[KeyIdItem] = keyId;
        }
        else if (access.Mutates && !options.AllowAnonymousWrites)
        {
            await Refuse(context, ErrorCodes.ApiKeyRequired, keys.HasKeys
                ? $"Changing the gallery needs an API key in the {AuthOptions.HeaderName} header."
                : "Changing the gallery needs an API key, and none is configured: set SanReid:Auth:ApiKeys (or KeySha256), "
                  + "or SanReid:Auth:AllowAnonymousWrites=true for local use.");
            return;
        }
        else if (!access.Mutates && options.RequireKeyForReads)
        {
            await Refuse(context, ErrorCodes.ApiKeyRequired, $"This service needs an API key in the {AuthOptions.HeaderName} header.");
            return;
        }
        await next(context);
    });

    private static Task Refuse(HttpContext context, string code, string detail)
    {
        context.Response.Headers.WWWAuthenticate = $"ApiKey header=\"{AuthOptions.HeaderName}\"";
        return ProblemWriter.WriteAsync(context, StatusCodes.Status401Unauthorized, code, "Unauthorized", detail);
    }
}
