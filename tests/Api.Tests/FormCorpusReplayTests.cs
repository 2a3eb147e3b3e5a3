using System.Net.Sockets;
using System.Text;
using SanReid.Api.Tests.Infrastructure;

namespace SanReid.Api.Tests;

/// <summary>
/// Replays every request of the form reader's committed fuzz corpus (fuzz/corpus/forms: first line the Content-Type,
/// the rest the body; scripts/fuzz.sh) against the real server, byte for byte over a socket: never a 5xx.
/// </summary>
public class FormCorpusReplayTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private static string CorpusDir => Path.Combine(RepoPaths.Root, "fuzz", "corpus", "forms");

    public static TheoryData<string> CorpusFiles
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var file in Directory.GetFiles(CorpusDir).Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(file));
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public async Task CorpusRequestIsNeverAServerError(string name)
    {
        var input = File.ReadAllBytes(Path.Combine(CorpusDir, name));
        int newline = Array.IndexOf(input, (byte)'\n');
        var contentType = newline < 0 ? [] : input[..newline].AsSpan().TrimEnd((byte)'\r').ToArray();
        var body = newline < 0 ? input : input[(newline + 1)..];
        var address = factory.CreateClient().BaseAddress!;

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        var stream = tcp.GetStream();
        var head = Encoding.ASCII.GetBytes(
            $"POST /api/v1/embeddings HTTP/1.1\r\nHost: {address.Authority}\r\nX-Api-Key: {ApiFactory.ApiKey}\r\n" +
            $"Content-Length: {body.Length}\r\nConnection: close\r\nContent-Type: ");
        await stream.WriteAsync(head.Concat(contentType).Concat("\r\n\r\n"u8.ToArray()).Concat(body).ToArray());
        using var reader = new StreamReader(stream, Encoding.Latin1);
        var statusLine = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.NotNull(statusLine);
        int status = int.Parse(statusLine.Split(' ')[1]);
        Assert.True(status < 500, $"{name}: {statusLine}\n{await reader.ReadToEndAsync()}");
    }
}
