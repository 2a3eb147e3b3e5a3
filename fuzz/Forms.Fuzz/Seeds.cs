using System.Text;

namespace SanReid.Fuzz.Forms;

/// <summary>The seed corpus: a few small requests (Content-Type line, then the body) as clients send them.</summary>
internal static class Seeds
{
    private const string Boundary = "----sanreid7MA4YWxkTrZu0gW";

    // A 1x1 PNG (67 bytes), so file parts carry a real image.
    private static readonly byte[] Png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC");

    public static void Write(string dir)
    {
        Directory.CreateDirectory(dir);
        Save(dir, "one-image", Request($"multipart/form-data; boundary={Boundary}",
            File("images", "crop.png", Png), Field("label", "market")));
        Save(dir, "gallery-fields", Request($"multipart/form-data; boundary=\"{Boundary}\"",
            File("images", "a.png", Png), Field("camera_id", "3"), Field("captured_at", "2024-05-01T12:30:00Z"),
            Field("external_id", "det-42"), Field("label", "caf\u00e9")));
        Save(dir, "search-filters", Request($"multipart/form-data; boundary={Boundary}",
            File("image", "q.png", Png), Field("k", "5"), Field("cameras", "1,3"), Field("exclude_cameras", "2"),
            Field("from", "2024-01-01"), Field("to", "2025-01-01T00:00:00+02:00"), Field("min_score", "0.25")));
        Save(dir, "filename-star", Request($"multipart/form-data; boundary={Boundary}",
            Part("Content-Disposition: form-data; name=\"images\"; filename=\"x.png\"; filename*=UTF-8''C%3A%5Cdir%5Ccrop%E2%80%AEgnp.exe",
                "image/png", Png)));
        Save(dir, "text-only-repeated", Request($"multipart/form-data; boundary={Boundary}",
            Field("label", "a"), Field("label", "b"), Part("Content-Disposition: attachment; name=\"x\"", "text/plain", "ignored"u8.ToArray())));
        var preamble = Encoding.UTF8.GetBytes("preamble\r\n");
        Save(dir, "preamble-epilogue", [.. Encoding.Latin1.GetBytes($"multipart/form-data; boundary={Boundary}\r\n"), .. preamble,
            .. Body(File("images", "../../etc/p.png", Png)), .. "epilogue"u8]);
    }

    private static byte[] Field(string name, string value) =>
        Part($"Content-Disposition: form-data; name=\"{name}\"", null, Encoding.UTF8.GetBytes(value));

    private static byte[] File(string name, string fileName, byte[] bytes) =>
        Part($"Content-Disposition: form-data; name=\"{name}\"; filename=\"{fileName}\"", "image/png", bytes);

    private static byte[] Part(string disposition, string? contentType, byte[] content)
    {
        var head = $"--{Boundary}\r\n{disposition}\r\n" + (contentType is null ? "" : $"Content-Type: {contentType}\r\n") + "\r\n";
        return [.. Encoding.UTF8.GetBytes(head), .. content, .. "\r\n"u8];
    }

    private static byte[] Body(params byte[][] parts) => [.. parts.SelectMany(p => p), .. Encoding.ASCII.GetBytes($"--{Boundary}--\r\n")];

    private static byte[] Request(string contentType, params byte[][] parts) =>
        [.. Encoding.Latin1.GetBytes(contentType + "\r\n"), .. Body(parts)];

    private static void Save(string dir, string name, byte[] bytes) => System.IO.File.WriteAllBytes(Path.Combine(dir, name), bytes);
}
