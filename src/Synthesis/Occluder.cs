namespace SanReid.Synthesis;

/// <summary>What covers part of a crop, as in real surveillance footage.</summary>
public enum OccluderKind
{
    /// <summary>A box across the lower part: a bin, a bench, a car bonnet, a counter.</summary>
    LowerBox,

    /// <summary>A vertical pole, pillar or wall edge at one side, full height.</summary>
    Pole,

    /// <summary>Another person-like blob (body ellipse and head) entering from one side.</summary>
    Passerby,

    /// <summary>An object (bag, suitcase, pram) in a lower corner.</summary>
    CornerObject,
}

/// <summary>
/// Occluders drawn over a rendered crop, after the person and before the camera look (so they get the camera's cast,
/// blur and noise like everything else). They never touch the identity's texture: the texture stays the person's
/// true appearance. Occluded re-ID (Miao et al., ICCV 2019) is common in Market-1501 and DukeMTMC crops.
/// </summary>
public static class Occluder
{
    /// <summary>Probability that an image of <c>synth reid</c> is occluded.</summary>
    public const double Probability = 0.3;

    /// <summary>Smallest and largest target fraction of the crop's area an occluder covers.</summary>
    public const double MinCover = 0.10, MaxCover = 0.40;

    /// <summary>
    /// Paints one occluder of a random kind, colour and size (target 10-40 % of the area) into
    /// <paramref name="rgb"/> (interleaved RGB floats in [0, 255], width x height), using only
    /// <paramref name="random"/>. Returns the fraction of pixels it covered (0..1).
    /// </summary>
    public static double Paint(Random random, float[] rgb, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.Length != width * height * 3)
        {
            throw new ArgumentException($"Buffer holds {rgb.Length} floats, expected {width * height * 3}.", nameof(rgb));
        }

        var kind = (OccluderKind)random.Next(4);
        double cover = MinCover + random.NextDouble() * (MaxCover - MinCover);
        bool left = random.NextDouble() < 0.5;
        Rgb colour = random.NextDouble() < 0.6
            ? Rgb.FromDoubles(40 + random.NextDouble() * 170, 40 + random.NextDouble() * 170, 40 + random.NextDouble() * 170)
            : Rgb.FromDoubles(30 + random.NextDouble() * 60, 30 + random.NextDouble() * 60, 30 + random.NextDouble() * 60);
        double shadeTop = 0.85 + random.NextDouble() * 0.3, shadeBottom = 0.7 + random.NextDouble() * 0.3;
        double area = cover * width * height;
        Func<int, int, bool> inside;
        switch (kind)
        {
            case OccluderKind.LowerBox:
                {
                    double w = width * (0.7 + random.NextDouble() * 0.5);
                    double h = Math.Min(height * 0.6, area / Math.Min(w, width));
                    double x0 = left ? width - w : 0, y0 = height - h;
                    inside = (x, y) => x >= x0 && x < x0 + w && y >= y0;
                    break;
                }

            case OccluderKind.Pole:
                {
                    double w = Math.Max(4, cover * width);
                    double x0 = left ? -random.NextDouble() * 3 : width - w + random.NextDouble() * 3;
                    inside = (x, y) => x >= x0 && x < x0 + w;
                    break;
                }

            case OccluderKind.Passerby:
                {
                    // A body ellipse with its centre near the crop's edge, and a head above it; half of it is outside.
                    double rx = Math.Sqrt(cover) * width * 0.9, ry = height * (0.3 + random.NextDouble() * 0.12);
                    double cx = left ? rx * 0.1 : width - rx * 0.1, cy = height * (0.55 + random.NextDouble() * 0.15);
                    double head = rx * 0.45, hx = cx + (left ? 1 : -1) * rx * 0.1, hy = cy - ry - head * 0.8;
                    inside = (x, y) =>
                    {
                        double dx = (x + 0.5 - cx) / rx, dy = (y + 0.5 - cy) / ry;
                        double ex = x + 0.5 - hx, ey = y + 0.5 - hy;
                        return dx * dx + dy * dy < 1 || ex * ex + ey * ey < head * head;
                    };
                    break;
                }

            default:
                {
                    double w = width * (0.35 + random.NextDouble() * 0.35);
                    double h = Math.Min(height * 0.55, area / w);
                    double x0 = left ? 0 : width - w, y0 = height - h, round = Math.Min(w, h) * 0.2;
                    inside = (x, y) =>
                    {
                        if (x < x0 || x >= x0 + w || y < y0)
                        {
                            return false;
                        }

                        double dx = Math.Max(0, Math.Max(x0 + round - x, x - (x0 + w - round))), dy = Math.Max(0, y0 + round - y);
                        return dx * dx + dy * dy <= round * round; // rounded top corners
                    };
                    break;
                }
        }

        int covered = 0;
        for (int y = 0; y < height; y++)
        {
            // Vertical shading: lit from above, darker towards the ground.
            double shade = shadeTop + (shadeBottom - shadeTop) * y / (height - 1.0);
            float r = (float)Math.Min(255, colour.R * shade), g = (float)Math.Min(255, colour.G * shade), b = (float)Math.Min(255, colour.B * shade);
            for (int x = 0; x < width; x++)
            {
                if (inside(x, y))
                {
                    int i = (y * width + x) * 3;
                    rgb[i] = r;
                    rgb[i + 1] = g;
                    rgb[i + 2] = b;
                    covered++;
                }
            }
        }

        return covered / (double)(width * height);
    }
}
