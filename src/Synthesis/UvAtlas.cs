namespace SanReid.Synthesis;

/// <summary>A rectangle of texture pixels: columns [X, X+Width), rows [Y, Y+Height).</summary>
public readonly record struct AtlasRect(int X, int Y, int Width, int Height)
{
    /// <summary>Whether texture pixel (<paramref name="x"/>, <paramref name="y"/>) lies inside.</summary>
    public bool Contains(int x, int y) => x >= X && x < X + Width && y >= Y && y < Y + Height;
}

/// <summary>
/// The fixed 256x256 UV atlas shared by every synthetic identity (SAN, AAAI 2020, Sec. 3: the texture image is
/// densely semantically aligned: a texture pixel means the same body-surface point for every person).
/// </summary>
/// <remarks>
/// The left half (columns 0-127) holds the front of every part, the right half (128-255) the back, with the same
/// layout. Inside a region, u runs left to right and v top to bottom (v = 0 is the part's top: the end nearest the
/// head; for a foot, the heel). The front is laid out as seen by someone facing the person (the person's right at
/// u = 0), the back as seen from behind (the person's left at u = 0), so a texture reads like two photos of the
/// person. Texels outside every region are unused (painted grey). Sampling clamps to the region, so bilinear
/// lookups never bleed between regions.
/// </remarks>
public static class UvAtlas
{
    /// <summary>Texture width and height in pixels.</summary>
    public const int Size = 256;

    /// <summary>Number of atlas regions: one per body part and side (15 x 2).</summary>
    public const int RegionCount = PartCount * 2;

    /// <summary>Number of body parts.</summary>
    public const int PartCount = 15;

    private static readonly AtlasRect[] FrontRects = BuildFrontRects();

    /// <summary>The region index 0..29 of a part and side (part * 2 + side).</summary>
    public static int RegionIndex(BodyPart part, SurfaceSide side) => (int)part * 2 + (int)side;

    /// <summary>The part of region index <paramref name="region"/> (0..29).</summary>
    public static BodyPart PartOf(int region) => (BodyPart)(region / 2);

    /// <summary>The side of region index <paramref name="region"/> (0..29).</summary>
    public static SurfaceSide SideOf(int region) => (SurfaceSide)(region % 2);

    /// <summary>The texture rectangle of a part and side.</summary>
    public static AtlasRect Region(BodyPart part, SurfaceSide side)
    {
        AtlasRect front = FrontRects[(int)part];
        return side == SurfaceSide.Front ? front : front with { X = front.X + Size / 2 };
    }

    /// <summary>The texture rectangle of region index <paramref name="region"/> (0..29).</summary>
    public static AtlasRect Region(int region) => Region(PartOf(region), SideOf(region));

    /// <summary>
    /// Bilinear lookup of <paramref name="texture"/> (256x256 RGB) at surface coordinate (u, v) in [0, 1] of a
    /// region, clamped to texel centres inside the region. Returns channel values in [0, 255].
    /// </summary>
    public static (float R, float G, float B) Sample(RgbImage texture, int region, double u, double v)
    {
        AtlasRect rect = Region(region);
        double px = rect.X + u * rect.Width - 0.5;
        double py = rect.Y + v * rect.Height - 0.5;
        px = Math.Clamp(px, rect.X, rect.X + rect.Width - 1);
        py = Math.Clamp(py, rect.Y, rect.Y + rect.Height - 1);
        int x0 = (int)px, y0 = (int)py;
        int x1 = Math.Min(x0 + 1, rect.X + rect.Width - 1), y1 = Math.Min(y0 + 1, rect.Y + rect.Height - 1);
        float fx = (float)(px - x0), fy = (float)(py - y0);
        byte[] p = texture.Pixels;
        int stride = texture.Width * 3;
        int i00 = y0 * stride + x0 * 3, i01 = y0 * stride + x1 * 3, i10 = y1 * stride + x0 * 3, i11 = y1 * stride + x1 * 3;
        float w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
        return (
            p[i00] * w00 + p[i01] * w01 + p[i10] * w10 + p[i11] * w11,
            p[i00 + 1] * w00 + p[i01 + 1] * w01 + p[i10 + 1] * w10 + p[i11 + 1] * w11,
            p[i00 + 2] * w00 + p[i01 + 2] * w01 + p[i10 + 2] * w10 + p[i11 + 2] * w11);
    }

    private static AtlasRect[] BuildFrontRects()
    {
        var r = new AtlasRect[PartCount];
        r[(int)BodyPart.Torso] = new(0, 0, 64, 96);
        r[(int)BodyPart.Head] = new(64, 0, 48, 48);
        r[(int)BodyPart.HandLeft] = new(112, 0, 16, 24);
        r[(int)BodyPart.HandRight] = new(112, 24, 16, 24);
        r[(int)BodyPart.Neck] = new(64, 48, 32, 16);
        r[(int)BodyPart.FootLeft] = new(64, 64, 32, 32);
        r[(int)BodyPart.FootRight] = new(96, 64, 32, 32);
        r[(int)BodyPart.UpperArmLeft] = new(0, 96, 24, 56);
        r[(int)BodyPart.LowerArmLeft] = new(24, 96, 24, 56);
        r[(int)BodyPart.UpperArmRight] = new(48, 96, 24, 56);
        r[(int)BodyPart.LowerArmRight] = new(72, 96, 24, 56);
        r[(int)BodyPart.UpperLegLeft] = new(0, 152, 32, 104);
        r[(int)BodyPart.LowerLegLeft] = new(32, 152, 32, 104);
        r[(int)BodyPart.UpperLegRight] = new(64, 152, 32, 104);
        r[(int)BodyPart.LowerLegRight] = new(96, 152, 32, 104);
        return r;
    }
}
