using SanReid.Synthesis;

namespace SanReid.Synthesis.Tests;

/// <summary>Scenes and textures shared by the rendering tests.</summary>
internal static class RenderTestScenes
{
    /// <summary>A walking person seen from a camera slightly above, lit from the front left, no jitter.</summary>
    public static SceneParams Walking(double yawDegrees) => SceneParams.Frontal with
    {
        Pose = new WalkPose(Math.PI / 2, 0.8),
        Yaw = yawDegrees * Math.PI / 180,
        CameraHeight = 3.5,
    };

    /// <summary>A texture whose every region is one distinct flat colour (not from the painter).</summary>
    public static RgbImage FlatRegions(out Rgb[] colours)
    {
        var texture = new RgbImage(UvAtlas.Size, UvAtlas.Size);
        colours = new Rgb[UvAtlas.RegionCount];
        for (int region = 0; region < UvAtlas.RegionCount; region++)
        {
            // Distinct, bright enough that rounding after shading stays small relative to the value.
            colours[region] = new Rgb((byte)(60 + region * 6), (byte)(230 - region * 5), (byte)(90 + (region * 37) % 140));
            AtlasRect rect = UvAtlas.Region(region);
            for (int y = rect.Y; y < rect.Y + rect.Height; y++)
            {
                for (int x = rect.X; x < rect.X + rect.Width; x++)
                {
                    texture.Set(x, y, colours[region]);
                }
            }
        }

        return texture;
    }

    /// <summary>Renders with no camera look (pure texture x shade) and returns the image and a copy of the surface map.</summary>
    public static (RgbImage Image, SurfaceMap Surface) Render(RgbImage texture, SceneParams scene)
    {
        var synthesizer = new PersonSynthesizer();
        RgbImage image = synthesizer.Render(texture, scene, CameraLook.None, backgroundSeed: 3, noiseSeed: 4);
        var copy = new SurfaceMap(Renderer.Width, Renderer.Height);
        synthesizer.LastSurface.Region.CopyTo(copy.Region, 0);
        synthesizer.LastSurface.U.CopyTo(copy.U, 0);
        synthesizer.LastSurface.V.CopyTo(copy.V, 0);
        synthesizer.LastSurface.Shade.CopyTo(copy.Shade, 0);
        synthesizer.LastSurface.Depth.CopyTo(copy.Depth, 0);
        return (image, copy);
    }

    /// <summary>Pixel indices showing <paramref name="part"/> (either side).</summary>
    public static IEnumerable<int> PixelsOf(SurfaceMap map, BodyPart part) =>
        Enumerable.Range(0, map.Region.Length).Where(i => map.Region[i] >= 0 && UvAtlas.PartOf(map.Region[i]) == part);
}
