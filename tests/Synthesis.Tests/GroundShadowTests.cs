using SanReid.Synthesis;

namespace SanReid.Synthesis.Tests;

public class GroundShadowTests
{
    [Fact]
    public void ShadowDarkensGroundUnderTheFeetAndLeavesTheUpperImageAlone()
    {
        SceneParams scene = RenderTestScenes.Walking(0) with { Light = new Vec3(0, 1, 0) };
        var rgb = new float[Renderer.Width * Renderer.Height * 3];
        Array.Fill(rgb, 200f);

        Renderer.CastGroundShadow(scene, rgb);

        // The feet are near the bottom centre; the top of the image is far above the ground plane's shadow.
        var map = new SurfaceMap(Renderer.Width, Renderer.Height);
        Renderer.Rasterize(scene, map);
        int lowestBodyRow = Enumerable.Range(0, map.Region.Length).Where(i => map.Region[i] >= 0).Max(i => i / Renderer.Width);
        int below = Math.Min(Renderer.Height - 1, lowestBodyRow + 2);
        Assert.True(rgb[(below * Renderer.Width + Renderer.Width / 2) * 3] < 190, "no shadow just below the feet");
        Assert.All(Enumerable.Range(0, Renderer.Width * 100 * 3), i => Assert.Equal(200f, rgb[i]));
        Assert.All(rgb, v => Assert.InRange(v, 0f, 200f));
    }
}
