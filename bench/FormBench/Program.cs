using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using SanReid.Api.Extensions;

// What the Api's own multipart reader (src/Api/Extensions/FormReading.cs) does that the framework's reader does not:
// the same bodies go to FormFeature.ReadFormAsync (what IFormFile / [FromForm] binding runs) and to
// FormReading.ReadMultipartAsync, both with the service's form limits (Extensions.ConfigureFormLimits, 64 MiB body,
// 4 KiB text values). In-process, no server: each reader reads from a stream that counts the bytes taken from it; the
// outcome is the answer the Api gives for it (ApiExceptionHandler.Map: status and code, or "accepted").
// Usage: dotnet run --project bench/FormBench -c Release [-- --mib 50]

namespace SanReid.FormBench;

internal static class BenchProgram
{
    private const string Boundary = "sanreid-form-bench";
    private const string ContentType = "multipart/form-data; boundary=" + Boundary;

    public static async Task<int> Main(string[] args)
    {
        int mib = args.Length >= 2 && args[0] == "--mib" ? int.Parse(args[1]) : 50;
        var options = new FormOptions();
        Extensions.ConfigureFormLimits(options, 64L * 1024 * 1024);
        Console.WriteLine($"command: dotnet run --project bench/FormBench -c Release -- --mib {mib}");
        Console.WriteLine($"runtime: .NET {Environment.Version}; limits: body {options.MultipartBodyLengthLimit:N0} B, text value {options.ValueLengthLimit:N0} B");

        var cases = new (string Name, byte[] Body)[]
        {
            ($"text field 'label' of {mib} MiB", Part("label", null, Enumerable.Repeat((byte)'a', mib * 1024 * 1024).ToArray())),
            ("text field 'label' that is not UTF-8 (FF FE 61)", Part("label", null, [0xFF, 0xFE, 0x61])),
            ("file part with filename*=utf-7''a.jpg", Part("images", "filename*=utf-7''a.jpg", [1, 2, 3])),
            ("file part of 65 MiB (body over the 64 MiB limit)", Part("images", "filename=\"a.jpg\"", new byte[65 * 1024 * 1024])),
        };
        foreach (var (name, body) in cases)
        {
            Console.WriteLine($"- {name} ({body.Length:N0} B body)");
            Console.WriteLine($"    framework FormFeature.ReadFormAsync: {await Measure(body, async s =>
            {
                var context = new DefaultHttpContext();
                context.Request.ContentType = ContentType;
                context.Request.Body = s;
                var form = await new FormFeature(context.Request, options).ReadFormAsync(CancellationToken.None);
                return Describe(form);
            })}");
            Console.WriteLine($"    SanReid FormReading.ReadMultipartAsync: {await Measure(body, async s =>
                Describe(await FormReading.ReadMultipartAsync(s, ContentType, options, _ => { }, CancellationToken.None)))}");
        }

        return 0;
    }

    // One part, then the closing boundary. disposition: null for a text field, else the file's filename parameter.
    private static byte[] Part(string name, string? disposition, byte[] content)
    {
        var head = Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"{name}\""
            + (disposition is null ? "" : $"; {disposition}\r\nContent-Type: image/jpeg") + "\r\n\r\n");
        var tail = Encoding.ASCII.GetBytes($"\r\n--{Boundary}--\r\n");
        return [.. head, .. content, .. tail];
    }

    private static string Describe(IFormCollection form)
    {
        var parts = form.Select(f => $"field '{f.Key}' kept ({f.Value.ToString().Length:N0} chars"
            + (f.Value.ToString().Contains('\uFFFD') ? ", bad bytes replaced by U+FFFD" : "") + ")")
            .Concat(form.Files.Select(f => $"file '{f.Name}' kept ({f.Length:N0} B)"));
        return "accepted: " + string.Join(", ", parts);
    }

    private static async Task<string> Measure(byte[] body, Func<Stream, Task<string>> read)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var counting = new CountingStream(new MemoryStream(body, writable: false));
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        string outcome;
        try
        {
            outcome = await read(counting);
        }
        catch (Exception e)
        {
            outcome = ApiExceptionHandler.Map(e) is var (status, code, _, _)
                ? $"{status} {code} ({e.GetType().Name})"
                : $"500 (unmapped {e.GetType().Name}: {e.Message})";
        }

        long used = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        return $"{outcome}; read {counting.BytesRead:N0} B of the body, allocated {used / 1024.0 / 1024.0:N1} MiB";
    }

    /// <summary>A read-only stream that counts the bytes read from it.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int n)
        {
            BytesRead += n;
            return n;
        }
    }
}
