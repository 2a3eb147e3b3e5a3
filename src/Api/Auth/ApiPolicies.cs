using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using SanReid.Api.Options;

namespace SanReid.Api.Auth;

/// <summary>
/// The authorization policies of <c>/api/v1</c>: <see cref="Read"/> on the group, <see cref="Write"/> added on the
/// endpoints that change the gallery. Both are decided by <see cref="ApiKeyAuthorizationHandler"/>.
/// </summary>
public static class ApiPolicies
{
    /// <summary>Search, embeddings, get, list, model: open unless <see cref="AuthOptions.RequireKeyForReads"/>.</summary>
    public const string Read = "read";

    /// <summary>Gallery mutations: a valid key unless <see cref="AuthOptions.AllowAnonymousWrites"/>.</summary>
    public const string Write = "write";

    /// <summary>Registers both policies and their handler.</summary>
    public static void AddApiPolicies(this AuthorizationOptions options)
    {
        options.AddPolicy(Read, p => p.AddRequirements(new ApiKeyRequirement(Write: false)));
        options.AddPolicy(Write, p => p.AddRequirements(new ApiKeyRequirement(Write: true)));
    }

    /// <summary>Whether the request's endpoint requires <see cref="Write"/>.</summary>
    public static bool IsWrite(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == Write) == true;
}

/// <summary>The requirement behind <see cref="ApiPolicies.Read"/> (<c>Write: false</c>) and <see cref="ApiPolicies.Write"/>.</summary>
public sealed record ApiKeyRequirement(bool Write) : IAuthorizationRequirement;

/// <summary>
/// Decides both policies at once (a write endpoint carries the group's read requirement too; the write rule alone
/// decides there): a present key must be valid, whatever the endpoint; a missing key is refused for mutations unless
/// <see cref="AuthOptions.AllowAnonymousWrites"/>, and for reads only when <see cref="AuthOptions.RequireKeyForReads"/>.
/// A refusal is answered by <see cref="ApiKeyAuthenticationHandler"/>'s challenge (401 with a code).
/// </summary>
public sealed class ApiKeyAuthorizationHandler(IOptions<AuthOptions> options) : IAuthorizationHandler
{
    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        var pending = context.PendingRequirements.OfType<ApiKeyRequirement>().ToList();
        if (pending.Count == 0)
            return Task.CompletedTask;
        var auth = options.Value;
        bool write = context.Requirements.OfType<ApiKeyRequirement>().Any(r => r.Write);
        bool authenticated = context.User.Identity?.IsAuthenticated == true;
        // The header given twice counts as presented (and refused by authentication) even when one of its values is empty.
        bool presented = context.Resource is HttpContext http
                         && http.Request.Headers[AuthOptions.HeaderName] is { Count: > 0 } values
                         && (values.Count > 1 || !string.IsNullOrEmpty(values[0]));
        bool allowed = authenticated || (!presented && (write ? auth.AllowAnonymousWrites : !auth.RequireKeyForReads));
        if (allowed)
        {
            foreach (var requirement in pending)
                context.Succeed(requirement);
        }
        return Task.CompletedTask;
    }
}
