using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace SanReid.Api.Tests.Infrastructure;

/// <summary>Multipart builders, generated images and ProblemDetails assertions shared by the Api tests.</summary>
public static class ApiClient
{
    public sealed record Upload(string Field, string FileName, byte[] Bytes, string ContentType = "image/jpeg");

    public static MultipartFormDataContent Form(IEnumerable<Upload> files, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var f in files)
        {
            var content = new ByteArrayContent(f.Bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue(f.ContentType);
            form.Add(content, f.Field, f.FileName);
        }
        foreach (var (name, value) in fields)
            form.Add(new StringContent(value), name);
        return form;
    }

    public static MultipartFormDataContent Form(Upload file, params (string Name, string Value)[] fields) => Form([file], fields);

    /// <summary>A seeded random "person crop" JPEG: blocky colour noise, different per seed.</summary>
    public static byte[] GeneratedJpeg(int seed, int width = 64, int height = 128)
    {
        var random = new Random(seed);
        using var image = new Image<Rgb24>(width, height);
        const int block = 8;
        for (int by = 0; by < height; by += block)
        {
            for (int bx = 0; bx < width; bx += block)
            {
                var colour = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                for (int y = by; y < Math.Min(by + block, height); y++)
                {
                    for (int x = bx; x < Math.Min(bx + block, width); x++)
                        image[x, y] = colour;
                }
            }
        }
        using var stream = new MemoryStream();
        image.Save(stream, new JpegEncoder { Quality = 92 });
        return stream.ToArray();
    }

    public static async Task<JsonElement> ReadJson(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.False(string.IsNullOrEmpty(text), $"{(int)response.StatusCode}: empty body");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts a ProblemDetails response with this status and <c>code</c> extension; returns its body.</summary>
    public static async Task<JsonElement> AssertProblem(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status} {code}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        Assert.Equal(code, body.GetProperty("code").GetString());
        string title = body.GetProperty("title").GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(title));
        // One title style for every problem, whoever wrote it: sentence case ("Unsupported media type", not the
        // framework's "Unsupported Media Type").
        Assert.DoesNotMatch(@"^\w+( [A-Z][a-z]+)+$", title);
        // Every problem has the type of its status, whoever wrote it (endpoint, exception handler, authentication, limiter).
        Assert.True(body.TryGetProperty("type", out var type), $"no type: {text}");
        if (ProblemTypes.TryGetValue((int)status, out var expected))
            Assert.Equal(expected, type.GetString());
        return body;
    }

    // RFC 9110 section 15 defines the 4xx / 5xx statuses (RFC 6585 section 4 defines 429).
    private static readonly Dictionary<int, string> ProblemTypes = new()
    {
        [400] = "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        [401] = "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        [403] = "https://tools.ietf.org/html/rfc9110#section-15.5.4",
        [404] = "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        [405] = "https://tools.ietf.org/html/rfc9110#section-15.5.6",
        [406] = "https://tools.ietf.org/html/rfc9110#section-15.5.7",
        [409] = "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        [413] = "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        [415] = "https://tools.ietf.org/html/rfc9110#section-15.5.16",
        [429] = "https://tools.ietf.org/html/rfc6585#section-4",
        [500] = "https://tools.ietf.org/html/rfc9110#section-15.6.1",
        [503] = "https://tools.ietf.org/html/rfc9110#section-15.6.4",
    };

    public static async Task AssertStillAnswering(HttpClient client)
    {
        var live = await client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    public static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => e.GetSingle()).ToArray();

    public static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }
}
