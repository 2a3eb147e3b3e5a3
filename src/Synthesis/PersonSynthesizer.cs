namespace SanReid.Synthesis;

/// <summary>
/// Renders a complete synthetic person crop: procedural background, contact shadow, textured and shaded body, camera look.
/// Holds reusable buffers, so one instance must not be used from two threads at once; the output depends only on
/// the arguments (same arguments, same bytes).
/// </summary>
public sealed class PersonSynthesizer
{
    private readonly float[] _rgb = new float[Renderer.Width * Renderer.Height * 3];

    /// <summary>The surface map of the most recent render: (region, u, v, shade) per pixel.</summary>
    public SurfaceMap LastSurface { get; } = new(Renderer.Width, Renderer.Height);

    /// <summary>Fraction of the most recent render's pixels covered by an occluder (0 = none was drawn).</summary>
    public double LastOcclusion { get; private set; }

    /// <summary>
    /// Renders <paramref name="texture"/> (256x256 RGB, <see cref="UvAtlas"/> layout) in <paramref name="scene"/> seen
    /// through <paramref name="look"/>, over a background drawn from <paramref name="backgroundSeed"/>; camera noise is
    /// drawn from <paramref name="noiseSeed"/>. With <paramref name="occluderSeed"/> an <see cref="Occluder"/> drawn from it
    /// covers part of the crop (after the person, before the camera look); with <paramref name="plainBackground"/> the
    /// background is one flat grey instead. Returns a 128x256 (width x height) RGB image.
    /// </summary>
    public RgbImage Render(RgbImage texture, SceneParams scene, CameraLook look, int backgroundSeed, int noiseSeed, int? occluderSeed = null, bool plainBackground = false)
    {
        ArgumentNullException.ThrowIfNull(texture);
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(look);
        if (plainBackground)
        {
            Array.Fill(_rgb, Background.PlainGrey);
        }
        else
        {
            Background.Paint(new Random(backgroundSeed), _rgb, Renderer.Width, Renderer.Height);
        }

        Renderer.Rasterize(scene, LastSurface);
        Renderer.CastGroundShadow(scene, _rgb);
        Renderer.Shade(texture, LastSurface, _rgb);
        LastOcclusion = occluderSeed is { } o ? Occluder.Paint(new Random(o), _rgb, Renderer.Width, Renderer.Height) : 0;
        look.Apply(_rgb, Renderer.Width, Renderer.Height, new Random(noiseSeed));
        var image = new RgbImage(Renderer.Width, Renderer.Height);
        ImageFilters.ToBytes(_rgb, image);
        return image;
    }
}
