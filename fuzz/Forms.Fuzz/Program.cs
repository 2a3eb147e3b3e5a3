using System.Text;
using Microsoft.AspNetCore.Http.Features;
using SanReid.Api.Extensions;
using SanReid.Api.Services;
using SharpFuzz;

namespace SanReid.Fuzz.Forms;

/// <summary>
/// AFL++ target for the Api's multipart form reader (<see cref="FormReading.ReadMultipartAsync"/>) and the parsing of
/// what it returns (text fields through <see cref="RequestParsing"/>, upload names through <see cref="ClientText"/>).
/// An input is one request: its first line is the Content-Type header value, the rest is the body. A crash is any
/// exception that the Api's exception handler would not answer with a 4xx (<see cref="ApiExceptionHandler.Map"/>):
/// that request would have been a 500.
/// </summary>
/// <remarks>
/// <c>Forms.Fuzz</c> runs under afl-fuzz (scripts/fuzz.sh forms MINUTES); <c>Forms.Fuzz --seeds DIR</c> writes the seed
/// corpus; <c>Forms.Fuzz --run FILE...</c> runs inputs once each and prints the outcome (for triage).
/// </remarks>
public static class Program
{
    /// <summary>The Api's default body limit (64 MiB), as <c>SanReid:Limits:MaxBodyBytes</c>.</summary>
    private const long MaxBodyBytes = 64L * 1024 * 1024;

    private static readonly FormOptions Options = CreateOptions();

    private static FormOptions CreateOptions()
    {
        var options = new FormOptions();
        Extensions.ConfigureFormLimits(options, MaxBodyBytes);
        return options;
    }

    public static int Main(string[] args)
    {
        if (args is ["--seeds", var dir])
        {
            Coverage.UseScratchBuffer();
            Seeds.Write(dir);
            return 0;
        }
        if (args is ["--run", .. var files])
        {
            // The instrumented assemblies write coverage to AFL's shared memory: give them a scratch buffer instead.
            Coverage.UseScratchBuffer();
            int failures = 0;
            foreach (var file in files)
            {
                try
                {
                    using var stream = File.OpenRead(file);
                    Console.WriteLine($"{file}: {RunOne(stream)}");
                }
                catch (Exception e)
                {
                    failures++;
                    Console.WriteLine($"{file}: CRASH {e}");
                }
            }
            return failures == 0 ? 0 : 1;
        }
        Fuzzer.OutOfProcess.Run(stream => RunOne(stream));
        return 0;
    }

    /// <summary>Runs one input; returns "ok" or the 4xx code; throws what would have been a 500.</summary>
    public static string RunOne(Stream input)
    {
        using var copy = new MemoryStream();
        input.CopyTo(copy);
        var bytes = copy.ToArray();
        int newline = Array.IndexOf(bytes, (byte)'\n');
        string contentType = newline < 0 ? "" : Encoding.Latin1.GetString(bytes, 0, newline).TrimEnd('\r');
        var body = newline < 0 ? new MemoryStream(bytes, writable: false) : new MemoryStream(bytes, newline + 1, bytes.Length - newline - 1, writable: false);
        var buffers = new List<IAsyncDisposable>();
        try
        {
            var form = FormReading.ReadMultipartAsync(body, contentType, Options, buffers.Add, CancellationToken.None).GetAwaiter().GetResult();
            foreach (var file in form.Files)
            {
                ClientText.FileName(file.FileName);
                using var stream = file.OpenReadStream();
                stream.CopyTo(Stream.Null);
            }
            RequestParsing.K(form["k"], 10, 100);
            RequestParsing.CameraId(form["camera_id"], "camera_id");
            RequestParsing.Timestamp(form["captured_at"], "captured_at");
            RequestParsing.MinScore(form["min_score"]);
            RequestParsing.Text(form["label"], "label");
            RequestParsing.Text(form["external_id"], "external_id");
            RequestParsing.Filter(form["cameras"], form["exclude_cameras"], form["from"], form["to"], form["label"]);
            return "ok";
        }
        catch (Exception e) when (ApiExceptionHandler.Map(e) is { Status: >= 400 and < 500 } answer)
        {
            return $"{answer.Status} {answer.Code}";
        }
        finally
        {
            foreach (var buffer in buffers)
                buffer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
