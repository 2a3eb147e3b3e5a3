using Microsoft.AspNetCore.WebUtilities;

namespace SanReid.Api.Extensions;

/// <summary>
/// The <c>type</c> and <c>title</c> every ProblemDetails of the Api gets when its writer gave none, so that every
/// problem looks alike whichever part of the Api (endpoint, exception handler, authentication, rate limiter, status
/// code pages) wrote it. <c>type</c> is the section of RFC 9110 that defines the status (RFC 6585 section 4 for 429),
/// as the framework writes it for its own results; titles are sentence case ("Unsupported media type").
/// </summary>
public static class ProblemDefaults
{
    private const string Rfc9110 = "https://tools.ietf.org/html/rfc9110#section-";

    private static readonly Dictionary<int, string> Sections = new()
    {
        [400] = "15.5.1",
        [401] = "15.5.2",
        [402] = "15.5.3",
        [403] = "15.5.4",
        [404] = "15.5.5",
        [405] = "15.5.6",
        [406] = "15.5.7",
        [407] = "15.5.8",
        [408] = "15.5.9",
        [409] = "15.5.10",
        [410] = "15.5.11",
        [411] = "15.5.12",
        [412] = "15.5.13",
        [413] = "15.5.14",
        [414] = "15.5.15",
        [415] = "15.5.16",
        [416] = "15.5.17",
        [417] = "15.5.18",
        [421] = "15.5.20",
        [422] = "15.5.21",
        [426] = "15.5.22",
        [500] = "15.6.1",
        [501] = "15.6.2",
        [502] = "15.6.3",
        [503] = "15.6.4",
        [504] = "15.6.5",
        [505] = "15.6.6",
    };

    /// <summary>The type URI for <paramref name="status"/>; <c>about:blank</c> (RFC 9457 section 4.2.1) for a status no RFC defines.</summary>
    public static string TypeFor(int status) => status switch
    {
        StatusCodes.Status429TooManyRequests => "https://tools.ietf.org/html/rfc6585#section-4",
        _ when Sections.TryGetValue(status, out var section) => Rfc9110 + section,
        _ => "about:blank",
    };

    /// <summary>
    /// <paramref name="title"/>, except that a missing title or the status's reason phrase in any case ("Unsupported
    /// Media Type", the framework's) becomes the reason phrase in sentence case ("Unsupported media type").
    /// </summary>
    public static string TitleFor(int status, string? title)
    {
        string reason = ReasonPhrases.GetReasonPhrase(status);
        if (title is not null && !string.Equals(title, reason, StringComparison.OrdinalIgnoreCase))
            return title;
        if (reason.Length == 0)
            return title ?? "Error";
        var words = reason.Split(' ');
        for (int i = 1; i < words.Length; i++)
        {
            // Acronyms stay as they are ("HTTP version not supported", "Request URI too long").
            if (!words[i].All(char.IsUpper))
                words[i] = words[i].ToLowerInvariant();
        }
        return string.Join(' ', words);
    }
}
