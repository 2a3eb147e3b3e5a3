using SanReid.Synthesis;

namespace SanReid.Synthesis.Tests;

/// <summary>Rendered body colours are the texture colours at the pixel's (u, v), scaled by the shading factor.</summary>
public class ColourTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(130)]
    [InlineData(250)]
    public void BodyPixelEqualsTextureColourAtItsSurfacePointTimesShade(double yaw)
    {
        SynthIdentity person = IdentityCatalog.Create(seed: 3, first: 4, count: 1)[0];
        (RgbImage image, SurfaceMap map) = RenderTestScenes.Render(person.Texture, RenderTestScenes.Walking(yaw) with { Shape = person.Shape });

        int checkedPixels = 0;
        for (int i = 0; i < map.Region.Length; i++)
        {
            if (map.Region[i] < 0)
            {
                continue;
            }

            (float r, float g, float b) = UvAtlas.Sample(person.Texture, map.Region[i], map.U[i], map.V[i]);
            float s = map.Shade[i];
            Assert.InRange(image.Pixels[i * 3], Math.Min(255, r * s) - 1, Math.Min(255, r * s) + 1);
            Assert.InRange(image.Pixels[i * 3 + 1], Math.Min(255, g * s) - 1, Math.Min(255, g * s) + 1);
            Assert.InRange(image.Pixels[i * 3 + 2], Math.Min(255, b * s) - 1, Math.Min(255, b * s) + 1);
            checkedPixels++;
        }

        Assert.True(checkedPixels > 3000);
    }

    [Fact]
    public void FlatRegionColoursComeBackUpToOneShadingFactorPerPixel()
    {
        // Independent of the sampler: every region is one flat colour, so a body pixel divided by its region's colour
        // gives the same factor in all three channels, and that factor is the reported shade.
        RgbImage texture = RenderTestScenes.FlatRegions(out Rgb[] colours);
        (RgbImage image, SurfaceMap map) = RenderTestScenes.Render(texture, RenderTestScenes.Walking(30));

        var shades = new List<double>();
        for (int i = 0; i < map.Region.Length; i++)
        {
            if (map.Region[i] < 0)
            {
                continue;
            }

            Rgb expected = colours[map.Region[i]];
            double fr = image.Pixels[i * 3] / (double)expected.R, fg = image.Pixels[i * 3 + 1] / (double)expected.G, fb = image.Pixels[i * 3 + 2] / (double)expected.B;
            double tolerance = 1.0 / Math.Min(expected.R, Math.Min(expected.G, expected.B)) + 1e-3;
            Assert.InRange(fg, fr - 2 * tolerance, fr + 2 * tolerance);
            Assert.InRange(fb, fr - 2 * tolerance, fr + 2 * tolerance);
            Assert.InRange(fr, map.Shade[i] - tolerance, map.Shade[i] + tolerance);
            shades.Add(fr);
        }

        // Directional light really shades: the factor varies over the body.
        Assert.True(shades.Max() - shades.Min() > 0.2, $"shade range {shades.Min():F2}..{shades.Max():F2}");
    }

    [Fact]
    public void SideFacingTheLightIsBrighter()
    {
        RgbImage texture = RenderTestScenes.FlatRegions(out _);
        // Light from the image right (world +x) at yaw 0: the person's left side, on the image right, is lit.
        SceneParams scene = RenderTestScenes.Walking(0) with { Light = new Vec3(1, 0.2, 0.3), Pose = WalkPose.Standing };
        (_, SurfaceMap map) = RenderTestScenes.Render(texture, scene);
        int torso = UvAtlas.RegionIndex(BodyPart.Torso, SurfaceSide.Front);
        int[] pixels = Enumerable.Range(0, map.Region.Length).Where(i => map.Region[i] == torso).ToArray();
        double centre = pixels.Average(i => i % Renderer.Width);

        double right = pixels.Where(i => i % Renderer.Width > centre).Average(i => map.Shade[i]);
        double left = pixels.Where(i => i % Renderer.Width < centre).Average(i => map.Shade[i]);
        Assert.True(right > left + 0.1, $"lit side {right:F2}, far side {left:F2}");
    }
}
