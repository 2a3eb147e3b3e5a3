namespace SanReid.Api.Auth;

/// <summary>
/// Endpoint metadata of every <c>/api/v1</c> endpoint (set on the group): the readiness gate, the rate limiter and the
/// form reader act on these endpoints only; health, metrics and Swagger are left alone.
/// </summary>
public sealed class ApiEndpoint
{
    public static readonly ApiEndpoint Marker = new();

    private ApiEndpoint()
    {
    }

    /// <summary>Whether the request was routed to an <c>/api/v1</c> endpoint.</summary>
    public static bool Is(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<ApiEndpoint>() is not null;
}
