using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using SanReid.Api.Extensions;
using SanReid.Api.Model;
using SanReid.Api.Options;
using SanReid.Api.Services;

namespace SanReid.Api.Auth;

/// <summary>
/// The <c>ApiKey</c> authentication scheme: the <c>X-Api-Key</c> header checked against <see cref="ApiKeyStore"/>
/// (constant-time SHA-256 comparison). No header: no result (anonymous); a wrong key, or the header given more than once
/// (ambiguous): failure; a configured key: a principal with the key's id (<see cref="KeyIdClaim"/>, 12 hex digits of its
/// SHA-256, never the key). The challenge
/// answers 401 ProblemDetails with <c>invalid_api_key</c> or <c>api_key_required</c> and a <c>WWW-Authenticate</c>
/// header. Authorization runs before the endpoint, so an unauthorised upload is refused without reading its body.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The scheme's name.</summary>
    public const string SchemeName = "ApiKey";

    /// <summary>Claim type of the key id.</summary>
    public const string KeyIdClaim = "sanreid:api_key_id";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var values = Request.Headers[AuthOptions.HeaderName];
        if (values.Count > 1)
        {
            // Two header lines (or a proxy that added one): which key is meant is ambiguous, and taking the first would let
            // a second, wrong key pass unnoticed. No key is compared.
            return Task.FromResult(AuthenticateResult.Fail(
                $"The {AuthOptions.HeaderName} header was sent {values.Count} times; send exactly one API key."));
        }
        string? presented = values.FirstOrDefault();
        if (string.IsNullOrEmpty(presented))
            return Task.FromResult(AuthenticateResult.NoResult());
        if (!keys.TryMatch(presented, out var keyId))
            return Task.FromResult(AuthenticateResult.Fail($"The {AuthOptions.HeaderName} header does not hold a valid API key."));
        var identity = new ClaimsIdentity([new Claim(KeyIdClaim, keyId)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.Headers.WWWAuthenticate = $"ApiKey header=\"{AuthOptions.HeaderName}\"";
        if (result.Failure is not null)
        {
            await Refuse(ErrorCodes.InvalidApiKey, result.Failure.Message);
        }
        else if (ApiPolicies.IsWrite(Context))
        {
            await Refuse(ErrorCodes.ApiKeyRequired, keys.HasKeys
                ? $"Changing the gallery needs an API key in the {AuthOptions.HeaderName} header."
                : "Changing the gallery needs an API key, and none is configured: set SanReid:Auth:ApiKeys (or KeySha256), "
                  + "or SanReid:Auth:AllowAnonymousWrites=true for local use.");
        }
        else
        {
            await Refuse(ErrorCodes.ApiKeyRequired, $"This service needs an API key in the {AuthOptions.HeaderName} header.");
        }
    }

    private Task Refuse(string code, string detail) =>
        ProblemWriter.WriteAsync(Context, StatusCodes.Status401Unauthorized, code, "Unauthorized", detail);
}
