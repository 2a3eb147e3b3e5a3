namespace SanReid.Imaging;

/// <summary>
/// A block walk over a GIF in memory up to the end of its first image (GIF89a specification, sections 17-27): the colour
/// tables, extensions and the first image's LZW data sub-blocks must all lie inside the file, the data ending with its
/// zero-length terminator block, and its LZW minimum code size must be 2..8. A file cut inside its first image is refused (ImageSharp would fill the missing pixels
/// silently). Later frames are not read (only the first is decoded).
/// </summary>
internal static class GifStructure
{
    private const byte ExtensionIntroducer = 0x21, ImageSeparator = 0x2C, Trailer = 0x3B;

    /// <exception cref="CorruptImageException">Truncated before the end of the first image, no image, an unknown block, or
    /// an LZW minimum code size outside 2..8.</exception>
    public static void Check(ReadOnlySpan<byte> data)
    {
        const int screenDescriptorEnd = 13; // "GIF89a" + logical screen descriptor (7 bytes)
        if (data.Length < screenDescriptorEnd)
            throw Truncated();
        int pos = screenDescriptorEnd + ColourTableLength(data[10]);
        while (true)
        {
            if (pos >= data.Length)
                throw Truncated();
            switch (data[pos++])
            {
                case ExtensionIntroducer:
                    pos = SkipSubBlocks(data, pos + 1); // label, then data sub-blocks
                    break;
                case ImageSeparator:
                    if (data.Length - pos < 9)
                        throw Truncated();
                    pos += 9 + ColourTableLength(data[pos + 8]); // descriptor, local colour table
                    if (pos >= data.Length)
                        throw Truncated();
                    // GIF89a, appendix F: the minimum code size is 2..8 (2 for 1-bit images too). Outside that range the
                    // codes cannot index a colour table of at most 256 entries; ImageSharp decodes such data as noise.
                    int minimumCodeSize = data[pos++];
                    if (minimumCodeSize is < 2 or > 8)
                    {
                        throw new CorruptImageException(
                            $"The GIF's first image declares an LZW minimum code size of {minimumCodeSize}; it must be 2 to 8.");
                    }

                    SkipSubBlocks(data, pos);
                    return;
                case Trailer:
                    throw new CorruptImageException("The GIF ends (trailer) before any image.");
                default:
                    throw new CorruptImageException($"The GIF has an unknown block 0x{data[pos - 1]:X2} at byte {pos - 1:N0}.");
            }
        }
    }

    private static int ColourTableLength(byte packedFields) =>
        (packedFields & 0x80) != 0 ? 3 * (1 << ((packedFields & 0x07) + 1)) : 0;

    // Returns the index after the zero-length terminator block.
    private static int SkipSubBlocks(ReadOnlySpan<byte> data, int pos)
    {
        while (true)
        {
            if (pos >= data.Length)
                throw Truncated();
            int size = data[pos++];
            if (size == 0)
                return pos;
            pos += size;
        }
    }

    private static CorruptImageException Truncated() => new("The GIF is truncated: it ends inside its first image.");
}
