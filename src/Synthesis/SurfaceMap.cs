namespace SanReid.Synthesis;

/// <summary>
/// Per-pixel result of rasterising the body (the renderer's G-buffer): which atlas region and surface
/// coordinate (u, v) each pixel shows, its shading factor and depth. Pixels not covered by the body have
/// region -1.
/// </summary>
public sealed class SurfaceMap
{
    /// <summary>Creates an empty map of <paramref name="width"/> x <paramref name="height"/> pixels.</summary>
    public SurfaceMap(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        Width = width;
        Height = height;
        Region = new sbyte[width * height];
        U = new float[width * height];
        V = new float[width * height];
        Shade = new float[width * height];
        Depth = new double[width * height];
        Clear();
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Atlas region index 0..29 (<see cref="UvAtlas.RegionIndex"/>), or -1 for background; row-major.</summary>
    public sbyte[] Region { get; }

    /// <summary>Surface coordinate u in [0, 1] within the region.</summary>
    public float[] U { get; }

    /// <summary>Surface coordinate v in [0, 1] within the region.</summary>
    public float[] V { get; }

    /// <summary>Shading factor (ambient + diffuse * max(0, n . l)) the texture colour is multiplied by.</summary>
    public float[] Shade { get; }

    /// <summary>Ray parameter of the visible surface (smaller is nearer); +infinity for background.</summary>
    public double[] Depth { get; }

    /// <summary>Marks every pixel as background.</summary>
    public void Clear()
    {
        Array.Fill(Region, (sbyte)-1);
        Array.Fill(Depth, double.PositiveInfinity);
        Array.Clear(U);
        Array.Clear(V);
        Array.Clear(Shade);
    }
}
