namespace SanReid.Synthesis;

/// <summary>
/// A contact sheet for looking at the synthetic data: one row per identity with its texture, several renders
/// (different yaw, pose, camera look) and one (part, u, v) surface render.
/// </summary>
public static class ContactSheet
{
    /// <summary>
    /// Builds the sheet for identities 0..<paramref name="identities"/>-1 of the catalogue of <paramref name="seed"/>,
    /// <paramref name="renders"/> renders each, scaled by <paramref name="scale"/> (0.25..1).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is not in 1..64 or the scale is outside [0.25, 1] (or NaN).</exception>
    public static RgbImage Build(int seed, int identities, int renders, double scale)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(identities, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(identities, 64);
        ArgumentOutOfRangeException.ThrowIfLessThan(renders, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(renders, 64);
        if (!(scale >= 0.25 && scale <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "Must be in [0.25, 1].");
        }

        const int gap = 4;
        int rowWidth = UvAtlas.Size + (renders + 1) * (Renderer.Width + gap);
        int rowHeight = Renderer.Height + gap;
        int width = rowWidth, height = identities * rowHeight;
        var sheet = new float[width * height * 3];
        Array.Fill(sheet, 255f);
        SynthIdentity[] people = IdentityCatalog.Create(seed, 0, identities);
        var synthesizer = new PersonSynthesizer();
        for (int p = 0; p < identities; p++)
        {
            int top = p * rowHeight;
            Blit(sheet, width, people[p].Texture, 0, top);
            for (int r = 0; r < renders; r++)
            {
                long item = (long)p * 1000 + r;
                Random random = Seeds.For(seed, Seeds.Stream.Sheet, item);
                SceneParams scene = SceneParams.Sample(random, people[p].Shape);
                // Spread the yaw over the circle so a row shows front, sides and back.
                scene = scene with { Yaw = 2 * Math.PI * r / renders + (random.NextDouble() - 0.5) * 0.4 };
                CameraLook look = CameraLook.Sample(random);
                // Occluders as synth reid draws them (on about 30 % of the crops), from their own stream.
                Random occlusion = Seeds.For(seed, Seeds.Stream.Occluder, item);
                int? occluder = occlusion.NextDouble() < Occluder.Probability ? occlusion.Next() : null;
                RgbImage image = synthesizer.Render(people[p].Texture, scene, look, random.Next(), random.Next(), occluder);
                Blit(sheet, width, image, UvAtlas.Size + gap + r * (Renderer.Width + gap), top);
                if (r == renders - 1)
                {
                    Blit(sheet, width, Renderer.SurfaceImage(synthesizer.LastSurface), UvAtlas.Size + gap + renders * (Renderer.Width + gap), top);
                }
            }
        }

        int sw = Math.Max(1, (int)Math.Round(width * scale)), sh = Math.Max(1, (int)Math.Round(height * scale));
        float[] scaled = scale < 1 ? ImageFilters.ResizeBilinear(Prefilter(sheet, width, height, scale), width, height, sw, sh) : sheet;
        var result = new RgbImage(sw, sh);
        ImageFilters.ToBytes(scaled, result);
        return result;
    }

    private static float[] Prefilter(float[] rgb, int width, int height, double scale)
    {
        var copy = (float[])rgb.Clone();
        ImageFilters.GaussianBlur(copy, width, height, 0.35 / scale);
        return copy;
    }

    private static void Blit(float[] sheet, int sheetWidth, RgbImage image, int left, int top)
    {
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                int o = ((top + y) * sheetWidth + left + x) * 3, i = (y * image.Width + x) * 3;
                sheet[o] = image.Pixels[i];
                sheet[o + 1] = image.Pixels[i + 1];
                sheet[o + 2] = image.Pixels[i + 2];
            }
        }
    }
}
