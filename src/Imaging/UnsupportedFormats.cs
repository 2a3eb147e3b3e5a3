namespace SanReid.Imaging;

/// <summary>
/// Recognises image formats this decoder does not read, by their file signatures, so that a known format is answered as
/// <see cref="UnsupportedImageException"/> naming the accepted formats, never as "not an image".
/// </summary>
internal static class UnsupportedFormats
{
    /// <summary>The accepted formats, as named in error messages.</summary>
    public const string Accepted = "JPEG, PNG, WebP, BMP, GIF or TIFF";

    /// <summary>The name of the format whose signature <paramref name="data"/> starts with, or null.</summary>
    public static string? Name(ReadOnlySpan<byte> data)
    {
        // ISO base media file (HEIF / HEIC / AVIF): a 'ftyp' box first, its major brand next.
        if (data.Length >= 12 && data[4..8].SequenceEqual("ftyp"u8))
        {
            var brand = data[8..12];
            if (brand.SequenceEqual("avif"u8) || brand.SequenceEqual("avis"u8))
                return "AVIF";
            if (brand.SequenceEqual("heic"u8) || brand.SequenceEqual("heix"u8) || brand.SequenceEqual("heim"u8)
                || brand.SequenceEqual("heis"u8) || brand.SequenceEqual("hevc"u8) || brand.SequenceEqual("mif1"u8)
                || brand.SequenceEqual("msf1"u8))
            {
                return "HEIF/HEIC";
            }

            return null; // MP4 video and other ISO files: not images
        }
        if (data.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0x00, 0x0C, (byte)'j', (byte)'P', 0x20, 0x20]) || data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0x4F, 0xFF, 0x51]))
            return "JPEG 2000";
        if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0x0A]) || data.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0x00, 0x0C, (byte)'J', (byte)'X', (byte)'L', 0x20]))
            return "JPEG XL";
        if (data.StartsWith("8BPS"u8))
            return "Photoshop (PSD)";
        if (data.StartsWith("qoif"u8))
            return "QOI";
        if (data.StartsWith((ReadOnlySpan<byte>)[0x76, 0x2F, 0x31, 0x01]))
            return "OpenEXR";
        if (data.StartsWith("DDS "u8))
            return "DirectDraw Surface (DDS)";
        if (data.Length >= 6 && (data.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0x01, 0x00]) || data.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0x02, 0x00]))
            && data[4] + (data[5] << 8) is > 0 and <= 256)
        {
            return "Windows icon (ICO/CUR)";
        }

        if (data.Length >= 3 && data[0] == (byte)'P' && data[1] is >= (byte)'1' and <= (byte)'7' && data[2] is (byte)'\n' or (byte)'\r' or (byte)' ' or (byte)'\t')
            return "Netpbm (PBM/PGM/PPM/PAM)";
        if (data.Length >= 26 && data[^18..].SequenceEqual("TRUEVISION-XFILE.\0"u8))
            return "TGA";
        return null;
    }
}
