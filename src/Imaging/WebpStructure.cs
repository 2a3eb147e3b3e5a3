using System.Buffers.Binary;

namespace SanReid.Imaging;

/// <summary>
/// A chunk walk over a WebP's RIFF container in memory (WebP container specification): the RIFF size must fit the file
/// (one missing pad byte tolerated; bytes after it are ignored), every chunk must fit the RIFF, and a VP8 or VP8L
/// bitstream chunk must be present; every EXIF chunk is walked by <see cref="ExifStructure"/>. Animated files (VP8X animation flag, ANIM or ANMF chunks) are refused as
/// unsupported: ImageSharp 2.1 cannot decode them.
/// </summary>
internal static class WebpStructure
{
    /// <exception cref="CorruptImageException">Truncated (file shorter than the RIFF size), chunk past the end, no bitstream,
    /// corrupt EXIF.</exception>
    /// <exception cref="UnsupportedImageException">An animated WebP.</exception>
    public static void Check(ReadOnlySpan<byte> data)
    {
        if (data.Length < 20)
            throw new CorruptImageException("The WebP is truncated: it ends inside its headers.");
        long end = 8L + BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        if (end > data.Length + 1L)
        {
            throw new CorruptImageException(
                $"The WebP is truncated: its RIFF header declares {end:N0} bytes, but the file has {data.Length:N0}.");
        }

        end = Math.Min(end, data.Length);
        long pos = 12;
        bool bitstream = false;
        while (end - pos >= 8)
        {
            var fourCc = data.Slice((int)pos, 4);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(data[((int)pos + 4)..]);
            pos += 8;
            if (size > end - pos)
            {
                throw new CorruptImageException(
                    $"The WebP is truncated: its {System.Text.Encoding.ASCII.GetString(fourCc)} chunk declares {size:N0} bytes, " +
                    "past the end of the file.");
            }

            bool animationFlag = fourCc.SequenceEqual("VP8X"u8) && size >= 1 && (data[(int)pos] & 0x02) != 0;
            if (animationFlag || fourCc.SequenceEqual("ANIM"u8) || fourCc.SequenceEqual("ANMF"u8))
            {
                throw new UnsupportedImageException(
                    "The WebP is animated; animated WebP is not supported (ImageSharp 2.1). Send a still frame (PNG, JPEG or still WebP).");
            }

            if (fourCc.SequenceEqual("VP8 "u8) || fourCc.SequenceEqual("VP8L"u8))
                bitstream = true;
            else if (fourCc.SequenceEqual("EXIF"u8))
                ExifStructure.Check(data.Slice((int)pos, (int)size), "WebP EXIF chunk");
            pos += size + (size & 1);
        }
        if (!bitstream)
            throw new CorruptImageException("The WebP has no VP8 or VP8L image data chunk.");
    }
}
