namespace SanReid.Synthesis;

/// <summary>
/// The look of one surveillance camera, applied after rendering: colour cast (per-channel gains),
/// brightness and contrast, resolution loss (downsample then bilinear upsample), Gaussian blur and sensor noise.
/// In a re-ID dataset each camera has one look, so a person's appearance changes between cameras.
/// </summary>
/// <param name="Gain">Per-channel gains (R, G, B), about 0.8..1.2: the colour cast.</param>
/// <param name="Brightness">Added to every channel after the gains, in 0..255 units.</param>
/// <param name="Contrast">Contrast about mid-grey (1 = unchanged).</param>
/// <param name="Resolution">Fraction of the 256x128 resolution the sensor really resolves (0.3..1; 1 = no loss).</param>
/// <param name="BlurSigma">Gaussian blur sigma in output pixels (0 = none).</param>
/// <param name="NoiseSigma">Standard deviation of Gaussian sensor noise in 0..255 units (0 = none).</param>
/// <param name="JpegQuality">JPEG quality the camera's crops are saved with (1..100).</param>
public sealed record CameraLook(Vec3 Gain, double Brightness, double Contrast, double Resolution, double BlurSigma, double NoiseSigma, int JpegQuality)
{
    /// <summary>No change at all (for tests that compare rendered colours with the texture).</summary>
    public static CameraLook None => new(new Vec3(1, 1, 1), 0, 1, 1, 0, 0, 95);

    /// <summary>Draws a camera look.</summary>
    public static CameraLook Sample(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        double warmth = (random.NextDouble() - 0.5) * 0.3;
        return new CameraLook(
            Gain: new Vec3(1 + warmth + (random.NextDouble() - 0.5) * 0.1, 1 + (random.NextDouble() - 0.5) * 0.12, 1 - warmth + (random.NextDouble() - 0.5) * 0.1),
            Brightness: (random.NextDouble() - 0.5) * 40,
            Contrast: 0.75 + random.NextDouble() * 0.45,
            Resolution: random.NextDouble() < 0.3 ? 1 : 0.35 + random.NextDouble() * 0.6,
            BlurSigma: 0.45 + random.NextDouble() * 0.8, // a lens never draws a pixel-sharp edge
            NoiseSigma: random.NextDouble() * 7,
            JpegQuality: 70 + random.Next(26));
    }

    /// <summary>
    /// Applies the look in place to <paramref name="rgb"/> (interleaved RGB floats, width x height), drawing noise from
    /// <paramref name="random"/>; values are left clamped to [0, 255].
    /// </summary>
    public void Apply(float[] rgb, int width, int height, Random random)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        ArgumentNullException.ThrowIfNull(random);
        float gr = (float)Gain.X, gg = (float)Gain.Y, gb = (float)Gain.Z;
        float contrast = (float)Contrast, offset = (float)Brightness;
        for (int i = 0; i < rgb.Length; i += 3)
        {
            rgb[i] = Math.Clamp((rgb[i] * gr - 128) * contrast + 128 + offset, 0, 255);
            rgb[i + 1] = Math.Clamp((rgb[i + 1] * gg - 128) * contrast + 128 + offset, 0, 255);
            rgb[i + 2] = Math.Clamp((rgb[i + 2] * gb - 128) * contrast + 128 + offset, 0, 255);
        }

        if (Resolution < 0.999)
        {
            // Anti-alias, then sample a coarse grid and stretch it back: detail finer than the sensor is gone.
            ImageFilters.GaussianBlur(rgb, width, height, 0.5 / Resolution);
            int sw = Math.Max(2, (int)Math.Round(width * Resolution)), sh = Math.Max(2, (int)Math.Round(height * Resolution));
            float[] small = ImageFilters.ResizeBilinear(rgb, width, height, sw, sh);
            float[] back = ImageFilters.ResizeBilinear(small, sw, sh, width, height);
            Array.Copy(back, rgb, rgb.Length);
        }

        if (BlurSigma > 0.05)
        {
            ImageFilters.GaussianBlur(rgb, width, height, BlurSigma);
        }

        if (NoiseSigma > 0)
        {
            // Mostly luminance noise with a little chroma, as in compressed CCTV footage.
            float sigma = (float)NoiseSigma;
            for (int i = 0; i < rgb.Length; i += 6)
            {
                double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
                double radius = Math.Sqrt(-2 * Math.Log(u1));
                float n1 = (float)(radius * Math.Cos(2 * Math.PI * u2)) * sigma;
                float n2 = (float)(radius * Math.Sin(2 * Math.PI * u2)) * sigma;
                rgb[i] = Math.Clamp(rgb[i] + n1, 0, 255);
                rgb[i + 1] = Math.Clamp(rgb[i + 1] + n1 * 0.9f, 0, 255);
                rgb[i + 2] = Math.Clamp(rgb[i + 2] + n1 * 1.1f, 0, 255);
                if (i + 5 < rgb.Length)
                {
                    rgb[i + 3] = Math.Clamp(rgb[i + 3] + n2, 0, 255);
                    rgb[i + 4] = Math.Clamp(rgb[i + 4] + n2 * 0.9f, 0, 255);
                    rgb[i + 5] = Math.Clamp(rgb[i + 5] + n2 * 1.1f, 0, 255);
                }
            }
        }
    }
}
