using SanReid.Synthesis;

namespace SanReid.Synthesis.Tests;

/// <summary>The (part, u, v) render mode encodes the surface map losslessly enough to decode it again.</summary>
public class SurfaceImageTests
{
    [Fact]
    public void SurfaceImageDecodesToRegionAndUv()
    {
        SynthIdentity person = IdentityCatalog.Create(seed: 1, first: 0, count: 1)[0];
        (_, SurfaceMap map) = RenderTestScenes.Render(person.Texture, RenderTestScenes.Walking(40));
        RgbImage surface = Renderer.SurfaceImage(map);

        Assert.Equal((Renderer.Width, Renderer.Height), (surface.Width, surface.Height));
        for (int i = 0; i < map.Region.Length; i++)
        {
            int x = i % Renderer.Width, y = i / Renderer.Width;
            if (map.Region[i] < 0)
            {
                Assert.Equal(new Rgb(0, 0, 0), surface.Get(x, y));
                continue;
            }

            Rgb code = surface.Get(x, y);
            Assert.Equal(map.Region[i], code.R / 8 - 1);
            Assert.InRange(code.G / 255.0, map.U[i] - 0.5 / 255, map.U[i] + 0.5 / 255);
            Assert.InRange(code.B / 255.0, map.V[i] - 0.5 / 255, map.V[i] + 0.5 / 255);
        }
    }
}
