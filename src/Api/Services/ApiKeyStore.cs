using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using SanReid.Api.Options;

namespace SanReid.Api.Services;

/// <summary>
/// The configured API keys as SHA-256 hashes (the plain keys are not kept). <see cref="TryMatch"/> hashes the presented
/// key and compares it with every stored hash in constant time (<see cref="CryptographicOperations.FixedTimeEquals"/>),
/// without stopping at the first match, so timing says nothing about which or how many bytes matched.
/// </summary>
public sealed class ApiKeyStore
{
    private readonly byte[][] _hashes;

    public ApiKeyStore(IOptions<AuthOptions> options)
    {
        var o = options.Value;
        _hashes = o.ApiKeys.Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k)))
            .Concat(o.KeySha256.Select(h => Convert.FromHexString(h.Trim())))
            .ToArray();
    }

    /// <summary>Whether any key is configured.</summary>
    public bool HasKeys => _hashes.Length > 0;

    /// <summary>
    /// True when <paramref name="presented"/> is a configured key; <paramref name="keyId"/> is then the first 12 hex
    /// digits of its SHA-256 (safe to log and to use as a rate-limit partition; never the key itself).
    /// </summary>
    public bool TryMatch(string? presented, out string keyId)
    {
        keyId = "";
        if (string.IsNullOrEmpty(presented) || presented.Length > 1024)
            return false;
        // Exact match, no trimming: ' key' is not 'key' (configured keys with outer spaces are refused at start-up).
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        bool found = false;
        foreach (var stored in _hashes)
            found |= CryptographicOperations.FixedTimeEquals(hash, stored);
        if (found)
            keyId = Convert.ToHexStringLower(hash)[..12];
        return found;
    }
}
