namespace SanReid.Synthesis;

/// <summary>
/// Procedural street-like backgrounds: a wall/sky gradient over a ground gradient, rectangles (buildings,
/// windows, vehicles, signs), optional ground stripes (paving, crossings) and smooth value noise.
/// </summary>
public static class Background
{
    /// <summary>The value of every channel of the plain background (<see cref="Randomisation.Backgrounds"/> off).</summary>
    public const float PlainGrey = 118;

    /// <summary>
    /// Paints a background into <paramref name="rgb"/> (interleaved RGB floats in [0, 255], width x height)
    /// using only <paramref name="random"/> for choices.
    /// </summary>
    public static void Paint(Random random, float[] rgb, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.Length != width * height * 3)
        {
            throw new ArgumentException($"Buffer holds {rgb.Length} floats, expected {width * height * 3}.", nameof(rgb));
        }

        Rgb upperTop = random.NextDouble() < 0.8 ? RandomMuted(random) : Desaturate(RandomColour(random, 60, 230), 0.5), upperBottom = Vary(random, upperTop, 40);
        Rgb groundTop = RandomMuted(random), groundBottom = Vary(random, groundTop, 35);
        int horizon = (int)(height * (0.35 + random.NextDouble() * 0.35));
        for (int y = 0; y < height; y++)
        {
            Rgb colour = y < horizon
                ? upperTop.Mix(upperBottom, y / (double)horizon)
                : groundTop.Mix(groundBottom, (y - horizon) / (double)(height - horizon));
            for (int x = 0; x < width; x++)
            {
                Put(rgb, width, x, y, colour.R, colour.G, colour.B);
            }
        }

        if (random.NextDouble() < 0.45)
        {
            // Stripes on the ground: paving joints or a crossing.
            bool diagonal = random.NextDouble() < 0.5;
            int period = 6 + random.Next(20);
            double strength = 0.12 + random.NextDouble() * 0.35;
            Rgb stripe = random.NextDouble() < 0.3 ? new Rgb(235, 235, 230) : groundTop.Scale(0.7);
            for (int y = horizon; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    int s = diagonal ? x + y : y + (y - horizon) * (y - horizon) / 40;
                    if (s / period % 2 == 0)
                    {
                        Blend(rgb, width, x, y, stripe, strength);
                    }
                }
            }
        }

        int rectangles = random.Next(7);
        for (int i = 0; i < rectangles; i++)
        {
            int w = 8 + random.Next(width), h = 8 + random.Next(height / 2);
            int x0 = random.Next(-w / 2, width), y0 = random.Next(-h / 2, horizon + height / 6);
            Rgb colour = random.NextDouble() < 0.75 ? RandomMuted(random) : Desaturate(RandomColour(random, 20, 250), 0.35);
            bool windows = random.NextDouble() < 0.35;
            Rgb windowColour = colour.Scale(0.5 + random.NextDouble() * 0.3);
            double alpha = 0.7 + random.NextDouble() * 0.3;
            for (int y = Math.Max(0, y0); y < Math.Min(height, y0 + h); y++)
            {
                for (int x = Math.Max(0, x0); x < Math.Min(width, x0 + w); x++)
                {
                    bool window = windows && (x - x0) % 14 > 4 && (y - y0) % 18 > 6;
                    Blend(rgb, width, x, y, window ? windowColour : colour, alpha);
                }
            }
        }

        // Vertical structures from the ground up: posts, tree trunks, door frames.
        int posts = random.NextDouble() < 0.35 ? 1 + random.Next(3) : 0;
        for (int i = 0; i < posts; i++)
        {
            int w = 2 + random.Next(10), x0 = random.Next(-w, width), top = random.Next(height / 2);
            Rgb colour = random.NextDouble() < 0.5 ? RandomMuted(random).Scale(0.6) : Desaturate(RandomColour(random, 30, 220), 0.4);
            for (int y = top; y < height; y++)
            {
                for (int x = Math.Max(0, x0); x < Math.Min(width, x0 + w); x++)
                {
                    Blend(rgb, width, x, y, colour, 0.9);
                }
            }
        }

        if (random.NextDouble() < 0.3)
        {
            // A building's shadow over one side, with a soft edge.
            double edge = width * (0.2 + random.NextDouble() * 0.6), depth = 0.45 + random.NextDouble() * 0.35;
            bool left = random.NextDouble() < 0.5;
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    double t = Math.Clamp(((left ? edge - x : x - edge) + 4) / 8, 0, 1);
                    float f = (float)(1 - (1 - depth) * t);
                    int i = (y * width + x) * 3;
                    rgb[i] *= f;
                    rgb[i + 1] *= f;
                    rgb[i + 2] *= f;
                }
            }
        }

        // Smooth value noise: foliage, stains, uneven light.
        int cells = 4 + random.Next(12);
        double amplitude = 8 + random.NextDouble() * 30;
        int gw = width / cells + 2, gh = height / cells + 2;
        var grid = new double[gw * gh];
        for (int i = 0; i < grid.Length; i++)
        {
            grid[i] = (random.NextDouble() - 0.5) * 2 * amplitude;
        }

        for (int y = 0; y < height; y++)
        {
            double gy = y / (double)cells;
            int iy = (int)gy;
            double fy = gy - iy;
            for (int x = 0; x < width; x++)
            {
                double gx = x / (double)cells;
                int ix = (int)gx;
                double fx = gx - ix;
                double n = (grid[iy * gw + ix] * (1 - fx) + grid[iy * gw + ix + 1] * fx) * (1 - fy)
                    + (grid[(iy + 1) * gw + ix] * (1 - fx) + grid[(iy + 1) * gw + ix + 1] * fx) * fy;
                int i = (y * width + x) * 3;
                rgb[i] = Math.Clamp(rgb[i] + (float)n, 0, 255);
                rgb[i + 1] = Math.Clamp(rgb[i + 1] + (float)n, 0, 255);
                rgb[i + 2] = Math.Clamp(rgb[i + 2] + (float)n, 0, 255);
            }
        }
    }

    private static void Put(float[] rgb, int width, int x, int y, float r, float g, float b)
    {
        int i = (y * width + x) * 3;
        rgb[i] = r;
        rgb[i + 1] = g;
        rgb[i + 2] = b;
    }

    private static void Blend(float[] rgb, int width, int x, int y, Rgb colour, double alpha)
    {
        int i = (y * width + x) * 3;
        float a = (float)alpha;
        rgb[i] += (colour.R - rgb[i]) * a;
        rgb[i + 1] += (colour.G - rgb[i + 1]) * a;
        rgb[i + 2] += (colour.B - rgb[i + 2]) * a;
    }

    private static Rgb Desaturate(Rgb colour, double amount)
    {
        double grey = colour.Luma;
        return colour.Mix(Rgb.FromDoubles(grey, grey, grey), amount);
    }

    private static Rgb RandomColour(Random random, int min, int max) =>
        new((byte)random.Next(min, max), (byte)random.Next(min, max), (byte)random.Next(min, max));

    // Greys, concrete, asphalt, brick and grass tones.
    private static Rgb RandomMuted(Random random)
    {
        double grey = 60 + random.NextDouble() * 150;
        double tint = random.NextDouble();
        return tint switch
        {
            < 0.5 => Rgb.FromDoubles(grey, grey, grey * (0.95 + random.NextDouble() * 0.1)),
            < 0.7 => Rgb.FromDoubles(grey * 1.1, grey * 0.9, grey * 0.75),
            < 0.85 => Rgb.FromDoubles(grey * 0.75, grey, grey * 0.7),
            _ => Rgb.FromDoubles(grey * 0.85, grey * 0.9, grey * 1.05),
        };
    }

    private static Rgb Vary(Random random, Rgb colour, int amount) => Rgb.FromDoubles(
        colour.R + random.Next(-amount, amount + 1),
        colour.G + random.Next(-amount, amount + 1),
        colour.B + random.Next(-amount, amount + 1));
}
