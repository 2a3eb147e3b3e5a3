using System.Security.Cryptography;
using SanReid.Api.Tests.Infrastructure;

namespace SanReid.Inference.Tests;

public sealed class ModelFingerprintTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sanreid-fingerprint-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void MetadataDoesNotChangeTheFingerprintButTheGraphDoes()
    {
        byte[] graph = [0x0A, 0x03, 0x61, 0x62, 0x63];
        string a = Write("a.onnx", Field(1, varint: 8), Field(7, graph), Field(14, [0x0A, 0x01, 0x41]));
        string b = Write("b.onnx", Field(1, varint: 9), Field(7, graph), Field(14, [0x0A, 0x02, 0x42, 0x43]), Field(6, [0x44]));
        string c = Write("c.onnx", Field(1, varint: 8), Field(7, [0x0A, 0x03, 0x61, 0x62, 0x64]), Field(14, [0x0A, 0x01, 0x41]));

        Assert.Equal(ModelFingerprint.Compute(a), ModelFingerprint.Compute(b));
        Assert.NotEqual(ModelFingerprint.Compute(a), ModelFingerprint.Compute(c));
        Assert.StartsWith("graph-sha256:", ModelFingerprint.Compute(a));
    }

    [Fact]
    public void OnlyAnInt8ModelThatDeclaresAnEmbeddingSpaceSharesIt()
    {
        string model = Write("m.onnx", Field(7, [0x0A, 0x03, 0x61, 0x62, 0x63]));
        string own = ModelFingerprint.Compute(model);
        string declared = "graph-sha256:" + new string('a', 64);
        Dictionary<string, string> Card(string precision, string? space) =>
            space is null ? new() { ["precision"] = precision } : new() { ["precision"] = precision, ["embedding_space"] = space };

        Assert.Equal(declared, ModelFingerprint.EmbeddingSpace(model, Card("int8", declared)));
        Assert.Equal(own, ModelFingerprint.EmbeddingSpace(model, Card("int8", null)));
        Assert.Equal(own, ModelFingerprint.EmbeddingSpace(model, Card("fp32", declared)));
        Assert.Throws<InvalidDataException>(() => ModelFingerprint.EmbeddingSpace(model, Card("int8", "graph-sha256:XYZ")));
    }

    [Fact]
    public void TheFingerprintIsTheSha256OfTheGraphBytesAsStored()
    {
        // Galleries record fingerprints: they must stay the SHA-256 of field 7's payload, byte for byte.
        byte[] graph = [0x0A, 0x03, 0x61, 0x62, 0x63];
        string a = Write("a.onnx", Field(1, varint: 8), Field(7, graph), Field(14, [0x0A, 0x01, 0x41]));

        Assert.Equal("graph-sha256:" + Convert.ToHexStringLower(SHA256.HashData(graph)), ModelFingerprint.Compute(a));
    }

    [Fact]
    public void AFileThatIsNotAnOnnxModelIsRefusedNamingIt()
    {
        string noGraph = Write("nograph.onnx", Field(1, varint: 8));
        string truncated = Write("truncated.onnx", [.. Field(7, [1, 2, 3, 4, 5])[..4]]);
        string text = Write("text.onnx", "not a model at all"u8.ToArray());

        Assert.Contains("nograph.onnx", Assert.Throws<InvalidDataException>(() => ModelFingerprint.Compute(noGraph)).Message);
        Assert.Throws<InvalidDataException>(() => ModelFingerprint.Compute(truncated));
        Assert.Throws<InvalidDataException>(() => ModelFingerprint.Compute(text));
    }

    [Fact]
    public void TheDefaultModelHasAGraphFingerprint()
    {
        Assert.Matches("^graph-sha256:[0-9a-f]{64}$", ModelFingerprint.Compute(RepoPaths.DefaultModel));
    }

    private string Write(string name, params byte[][] parts)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, parts.SelectMany(p => p).ToArray());
        return path;
    }

    private static byte[] Field(int number, byte[] payload) => [(byte)((number << 3) | 2), (byte)payload.Length, .. payload];

    private static byte[] Field(int number, byte varint) => [(byte)(number << 3), varint];
}
