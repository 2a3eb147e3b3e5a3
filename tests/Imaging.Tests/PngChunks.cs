using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace SanReid.Imaging.Tests;

/// <summary>Reads, builds and re-assembles PNG chunks (length, type, data, CRC-32), to craft PNGs ImageSharp would not write.</summary>
internal static class PngChunks
{
    public static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static List<(string Type, byte[] Data)> Split(byte[] png)
    {
        var chunks = new List<(string, byte[])>();
        for (int pos = Signature.Length; pos < png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            chunks.Add((Encoding.ASCII.GetString(png, pos + 4, 4), png[(pos + 8)..(pos + 8 + length)]));
            pos += 12 + length;
        }
        return chunks;
    }

    public static byte[] Join(IEnumerable<(string Type, byte[] Data)> chunks)
    {
        var o = new List<byte>(Signature);
        foreach (var (type, data) in chunks)
            o.AddRange(Chunk(type, data));
        return o.ToArray();
    }

    public static byte[] Chunk(string type, byte[] data)
    {
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        var o = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(o, data.Length);
        typeAndData.CopyTo(o, 4);
        BinaryPrimitives.WriteUInt32BigEndian(o.AsSpan(8 + data.Length), Crc32(typeAndData));
        return o;
    }

    /// <summary>zlib stream of <paramref name="count"/> zero bytes (about 1/1000 of that, compressed).</summary>
    public static byte[] ZlibZeros(long count)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (long left = count; left > 0; left -= zeros.Length)
                zlib.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
        }
        return output.ToArray();
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
