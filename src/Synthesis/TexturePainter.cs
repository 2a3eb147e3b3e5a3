namespace SanReid.Synthesis;

/// <summary>
/// Paints an <see cref="IdentitySpec"/> into its 256x256 UV texture (layout: <see cref="UvAtlas"/>).
/// The texture is the identity: the renderer only poses, lights and views it.
/// </summary>
public static class TexturePainter
{
    /// <summary>The colour of texels outside every atlas region.</summary>
    public static readonly Rgb Unused = new(128, 128, 128);

    /// <summary>Paints <paramref name="spec"/>; the same spec always gives the same bytes.</summary>
    public static RgbImage Paint(IdentitySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var texture = new RgbImage(UvAtlas.Size, UvAtlas.Size);
        for (int y = 0; y < UvAtlas.Size; y++)
        {
            for (int x = 0; x < UvAtlas.Size; x++)
            {
                texture.Set(x, y, Unused);
            }
        }

        for (int region = 0; region < UvAtlas.RegionCount; region++)
        {
            AtlasRect rect = UvAtlas.Region(region);
            BodyPart part = UvAtlas.PartOf(region);
            SurfaceSide side = UvAtlas.SideOf(region);
            for (int ty = 0; ty < rect.Height; ty++)
            {
                for (int tx = 0; tx < rect.Width; tx++)
                {
                    double u = (tx + 0.5) / rect.Width, v = (ty + 0.5) / rect.Height;
                    Rgb colour = PaintTexel(spec, part, side, u, v, tx, ty);
                    // Fabric / skin grain: a small deterministic per-texel brightness change.
                    double grain = 1.0 + (Hash(spec.DetailSeed, (rect.X + tx) / 4, (rect.Y + ty) / 4) - 0.5) * 0.08;
                    texture.Set(rect.X + tx, rect.Y + ty, colour.Scale(grain));
                }
            }
        }

        return texture;
    }

    private static Rgb PaintTexel(IdentitySpec s, BodyPart part, SurfaceSide side, double u, double v, int tx, int ty)
    {
        bool front = side == SurfaceSide.Front;
        switch (part)
        {
            case BodyPart.Head:
                return Head(s, front, u, v);
            case BodyPart.Neck:
                if (!front && (s.HairLength == HairLength.Long || (s.HairLength == HairLength.Medium && v < 0.5)))
                {
                    return s.Hair;
                }

                return s.Skin;
            case BodyPart.Torso:
                return Torso(s, front, u, v, tx, ty);
            case BodyPart.UpperArmLeft or BodyPart.UpperArmRight:
                return s.LongSleeves || v < 0.42 ? TopFabric(s, u, v * 0.37, front) : s.Skin;
            case BodyPart.LowerArmLeft or BodyPart.LowerArmRight:
                return s.LongSleeves && v < 0.92 ? TopFabric(s, u, 0.37 + v * 0.3, front) : s.Skin;
            case BodyPart.HandLeft or BodyPart.HandRight:
                return s.Skin.Scale(0.95);
            case BodyPart.UpperLegLeft or BodyPart.UpperLegRight:
                double legCover = s.Bottom switch { BottomKind.Trousers => 1.1, BottomKind.Shorts => 0.5, _ => 0.72 };
                return v < legCover ? Seam(s.BottomColour, u, s.Bottom == BottomKind.Trousers) : s.Skin;
            case BodyPart.LowerLegLeft or BodyPart.LowerLegRight:
                if (v > 0.93)
                {
                    return s.Shoes;
                }

                return s.Bottom == BottomKind.Trousers ? Seam(s.BottomColour, u, true) : s.Skin;
            default: // feet: front = upper side, back = sole
                if (!front)
                {
                    return s.Shoes.Scale(0.55);
                }

                bool lace = v > 0.25 && v < 0.6 && Math.Abs(u - 0.5) < 0.08 && ty % 4 < 2;
                return lace ? s.Shoes.Mix(new Rgb(230, 230, 230), 0.5) : s.Shoes;
        }
    }

    private static Rgb Head(IdentitySpec s, bool front, double u, double v)
    {
        if (!front)
        {
            double hairEnd = s.HairLength switch { HairLength.Bald => 0.0, HairLength.Short => 0.68, HairLength.Medium => 0.85, _ => 1.1 };
            return v < hairEnd ? s.Hair : s.Skin;
        }

        if (s.HairLength != HairLength.Bald)
        {
            double hairline = s.HairLength == HairLength.Short ? 0.26 : 0.32;
            bool sides = (u < 0.13 || u > 0.87) && v < (s.HairLength == HairLength.Long ? 1.1 : 0.55);
            if (v < hairline || sides)
            {
                return s.Hair;
            }
        }

        double eye = Math.Min(Dist(u, v, 0.37, 0.5, 0.32), Dist(u, v, 0.63, 0.5, 0.32));
        if (eye < 0.045)
        {
            return new Rgb(30, 25, 25);
        }

        if (v > 0.73 && v < 0.78 && Math.Abs(u - 0.5) < 0.08)
        {
            return s.Skin.Scale(0.7);
        }

        return s.Skin;
    }

    private static Rgb Torso(IdentitySpec s, bool front, double u, double v, int tx, int ty)
    {
        // Waist and hips: the bottoms.
        if (v > 0.8)
        {
            return Seam(s.BottomColour, u, false);
        }

        if (v > 0.77 && s.Bottom == BottomKind.Trousers)
        {
            return s.BottomColour.Scale(0.5); // belt
        }

        if (front)
        {
            if (v < 0.13 && Math.Abs(u - 0.5) < 0.13 - v * 0.5)
            {
                return s.Skin; // neckline
            }

            if (s.Bag == BagKind.Backpack && v < 0.55 && (Math.Abs(u - 0.28) < 0.035 || Math.Abs(u - 0.72) < 0.035))
            {
                return s.BagColour.Scale(0.8); // straps
            }

            if (s.Bag == BagKind.ShoulderBag)
            {
                if (Math.Abs(v - (u - 0.12) * 1.1) < 0.04)
                {
                    return s.BagColour.Scale(0.85);
                }

                if (u > 0.84 && v > 0.55 && v < 0.8)
                {
                    return s.BagColour;
                }
            }

            if (InPrint(s.FrontPrint, tx, ty, 32, 35, 11))
            {
                return s.FrontPrintColour;
            }
        }
        else
        {
            if (s.HairLength == HairLength.Long && v < 0.27 - Math.Pow((u - 0.5) / 0.22, 2) * 0.1 && Math.Abs(u - 0.5) < 0.22)
            {
                return s.Hair;
            }

            if (s.Bag == BagKind.Backpack)
            {
                if (u > 0.2 && u < 0.8 && v > 0.1 && v < 0.66)
                {
                    bool flap = v < 0.26;
                    bool pocket = v > 0.42 && v < 0.6 && Math.Abs(u - 0.5) < 0.18;
                    return flap ? s.BagColour.Scale(0.8) : pocket ? s.BagColour.Scale(0.9).Mix(new Rgb(255, 255, 255), 0.1) : s.BagColour;
                }

                if (v <= 0.1 && (Math.Abs(u - 0.3) < 0.035 || Math.Abs(u - 0.7) < 0.035))
                {
                    return s.BagColour.Scale(0.8);
                }
            }

            if (s.Bag == BagKind.ShoulderBag)
            {
                if (Math.Abs(v - (0.88 - u) * 1.1) < 0.04)
                {
                    return s.BagColour.Scale(0.85);
                }

                if (u < 0.16 && v > 0.55 && v < 0.8)
                {
                    return s.BagColour;
                }
            }

            if (v < 0.05 && Math.Abs(u - 0.5) < 0.1)
            {
                return s.Skin;
            }

            if (InPrint(s.BackPrint, tx, ty, 32, 40, 14))
            {
                return s.BackPrintColour;
            }
        }

        return TopFabric(s, u, v * 0.6, front);
    }

    /// <summary>The top's fabric at surface (u, metres from the top of the part, roughly).</summary>
    private static Rgb TopFabric(IdentitySpec s, double u, double metres, bool front)
    {
        switch (s.Pattern)
        {
            case TopPattern.Stripes:
                return (int)(metres / 0.045) % 2 == 0 ? s.Top : s.TopSecondary;
            case TopPattern.Checks:
                int across = (int)((front ? u : u + 0.37) * 7);
                return (across + (int)(metres / 0.06)) % 2 == 0 ? s.Top : s.Top.Mix(s.TopSecondary, 0.6);
            case TopPattern.Noise:
                {
                    // Smooth value noise on a grid of about 4 x 4.5 cm cells, thresholded into two colours with a soft edge.
                    double gx = (front ? u : u + 1.37) * 9, gy = metres / 0.045;
                    int ix = (int)Math.Floor(gx), iy = (int)Math.Floor(gy);
                    double fx = gx - ix, fy = gy - iy;
                    fx = fx * fx * (3 - 2 * fx);
                    fy = fy * fy * (3 - 2 * fy);
                    double n = (Hash(s.DetailSeed, ix, iy) * (1 - fx) + Hash(s.DetailSeed, ix + 1, iy) * fx) * (1 - fy)
                        + (Hash(s.DetailSeed, ix, iy + 1) * (1 - fx) + Hash(s.DetailSeed, ix + 1, iy + 1) * fx) * fy;
                    return s.Top.Mix(s.TopSecondary, Math.Clamp((n - 0.45) * 6, 0, 1));
                }

            case TopPattern.Patches:
                {
                    // Random rectangles: cells of 1/5 of the girth by 8 cm, each one of three colours.
                    int cx = (int)((front ? u : u + 2.0) * 5), cy = (int)(metres / 0.08);
                    double h = Hash(s.DetailSeed ^ 0x5bd1e995, cx, cy);
                    return h < 0.5 ? s.Top : h < 0.8 ? s.TopSecondary : s.FrontPrintColour.Mix(s.Top, 0.3);
                }

            default:
                return s.Top;
        }
    }

    private static Rgb Seam(Rgb colour, double u, bool crease) => crease && Math.Abs(u - 0.5) < 0.03 ? colour.Scale(0.88) : colour;

    private static bool InPrint(PrintShape shape, int tx, int ty, int cx, int cy, int r)
    {
        double dx = tx + 0.5 - cx, dy = ty + 0.5 - cy;
        double ax = Math.Abs(dx), ay = Math.Abs(dy), d = Math.Sqrt(dx * dx + dy * dy);
        return shape switch
        {
            PrintShape.Disc => d < r,
            PrintShape.Square => ax < r * 0.85 && ay < r * 0.85,
            PrintShape.Triangle => dy > -r && dy < r * 0.8 && ax < (dy + r) * 0.55,
            PrintShape.Bars => ax < r && ay < r && ((int)(dy + r) / 4) % 2 == 0,
            PrintShape.Diamond => ax + ay < r,
            PrintShape.Ring => d < r && d > r * 0.55,
            PrintShape.Cross => (ax < r * 0.3 && ay < r) || (ay < r * 0.3 && ax < r),
            PrintShape.Text => ax < r * 1.2 && ay < r * 0.45 && ((int)(dx + r * 1.2) % 5 < 3) && !(ay < r * 0.12 && (int)(dx + r) % 10 < 5),
            _ => false,
        };
    }

    private static double Dist(double u, double v, double cu, double cv, double aspect)
    {
        double du = u - cu, dv = (v - cv) * aspect * 3;
        return Math.Sqrt(du * du + dv * dv);
    }

    /// <summary>A deterministic hash of (seed, x, y) in [0, 1).</summary>
    internal static double Hash(int seed, int x, int y)
    {
        unchecked
        {
            uint h = (uint)seed * 0x9E3779B1u ^ (uint)x * 0x85EBCA77u ^ (uint)y * 0xC2B2AE3Du;
            h ^= h >> 15;
            h *= 0x2C1B3C6Du;
            h ^= h >> 12;
            h *= 0x297A2D39u;
            h ^= h >> 15;
            return (h >> 8) / 16777216.0;
        }
    }
}
