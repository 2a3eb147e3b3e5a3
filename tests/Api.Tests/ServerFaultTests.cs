using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SanReid.Api.Services;
using SanReid.Api.Tests.Infrastructure;
using SanReid.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.PixelFormats;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>
/// A fault of the server during decoding (here: the BMP decoder's assembly cannot load, injected through the decoder seam
/// while every other format runs the real decoder) is a 500 ProblemDetails with the request id, logged at error level and
/// counted, never a 400 blaming the client's bytes.
/// </summary>
public sealed class ServerFaultTests : IDisposable
{
    private readonly ApiFactory _factory = ApiFactory.With(new Dictionary<string, string>(), services: s =>
        s.AddSingleton<CropDecode>((stream, options, cancellationToken) =>
        {
            var head = new byte[2];
            stream.ReadExactly(head);
            stream.Position = 0;
            if (head is [(byte)'B', (byte)'M'])
            {
                throw new FileNotFoundException(
                    "Could not load file or assembly 'SixLabors.ImageSharp, Version=2.0.0.0'. The system cannot find the file specified.");
            }

            return CropDecoder.DecodeAndResize(stream, options, cancellationToken);
        }));

    public void Dispose() => _factory.Dispose();

    private static double ServerErrors(string metrics)
    {
        var m = Regex.Match(metrics, "^sanreid_server_errors_total\\{code=\"internal_error\"\\} ([0-9.eE+-]+)$", RegexOptions.Multiline);
        return m.Success ? double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [Fact]
    public async Task DecoderThatCannotLoadIs500WithRequestIdLoggedAndCounted()
    {
        var client = _factory.CreateClient();
        using var image = new Image<Rgb24>(8, 16, new Rgb24(10, 200, 30));
        using var bmpStream = new MemoryStream();
        image.SaveAsBmp(bmpStream);
        double before = ServerErrors(await client.GetStringAsync("/metrics"));

        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/embeddings") { Content = Form(new Upload("images", "a.bmp", bmpStream.ToArray(), "image/bmp")) };
        request.Headers.Add("X-Request-Id", "fault-test-0001");
        var response = await client.SendAsync(request);
        var jpeg = await client.PostAsync("/api/v1/embeddings", Form(new Upload("images", "b.jpg", GeneratedJpeg(5))));

        var body = await AssertProblem(response, HttpStatusCode.InternalServerError, "internal_error");
        Assert.Equal("fault-test-0001", body.GetProperty("request_id").GetString());
        Assert.DoesNotContain("SixLabors", body.ToString()); // the fault's details stay in the log
        Assert.Contains(_factory.Logs.Lines, l => l.Level == LogLevel.Error && l.Message.Contains("FileNotFoundException")
            && l.Scope.GetValueOrDefault("RequestId") == "fault-test-0001");
        Assert.Equal(before + 1, ServerErrors(await client.GetStringAsync("/metrics")));
        Assert.Equal(HttpStatusCode.OK, jpeg.StatusCode); // the real decoder still serves JPEG
    }
}
