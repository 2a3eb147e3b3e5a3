namespace SanReid.Synthesis;

/// <summary>
/// Renders the textured body: a perspective camera, one elliptic capsule per part (<see cref="BodyModel"/>),
/// exact ray-solid intersection per pixel with a z-buffer for occlusion, bilinear texture lookup in the
/// <see cref="UvAtlas"/>, and ambient + directional (Lambert) shading. Single-threaded and deterministic.
/// </summary>
public static class Renderer
{
    /// <summary>Output width in pixels (re-ID crops are 256x128, height x width).</summary>
    public const int Width = 128;

    /// <summary>Output height in pixels.</summary>
    public const int Height = 256;

    /// <summary>
    /// Rasterises the body of <paramref name="scene"/> into <paramref name="map"/> (cleared first): for every pixel the
    /// nearest surface's region, (u, v), shade and depth. The texture plays no part, so two identities rendered with
    /// the same scene sample the same (region, u, v) at every pixel.
    /// </summary>
    /// <exception cref="ArgumentException">The map is not <see cref="Width"/> x <see cref="Height"/>.</exception>
    public static void Rasterize(SceneParams scene, SurfaceMap map)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(map);
        if (map.Width != Width || map.Height != Height)
        {
            throw new ArgumentException($"Surface map must be {Width}x{Height}, got {map.Width}x{map.Height}.", nameof(map));
        }

        map.Clear();
        PartSolid[] parts = BodyModel.Build(scene.Shape, scene.Pose);
        View view = View.Of(scene, parts);
        Mat3 yaw = Mat3.RotY(scene.Yaw);
        Vec3 light = scene.Light.Normalized();
        foreach (PartSolid part in parts)
        {
            RasterizePart(part, yaw * part.Rotation, yaw * part.Center, view, light, scene, map);
        }
    }

    /// <summary>
    /// Darkens the ground around the feet (a soft contact shadow, displaced away from the light) in
    /// <paramref name="rgb"/> (interleaved RGB floats, Width x Height). Call before <see cref="Shade"/>: body pixels are
    /// overwritten by the shaded texture afterwards.
    /// </summary>
    public static void CastGroundShadow(SceneParams scene, float[] rgb)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(rgb);
        PartSolid[] parts = BodyModel.Build(scene.Shape, scene.Pose);
        View view = View.Of(scene, parts);
        Vec3 light = scene.Light.Normalized();
        double k = scene.Shape.Height / 1.70;
        // Centre under the body, pushed away from the light; the lower the light, the longer the push (capped).
        double push = Math.Min(0.35, 0.12 / Math.Max(0.2, light.Y)) * k;
        double horizontal = Math.Sqrt(light.X * light.X + light.Z * light.Z);
        double sx = horizontal > 1e-6 ? -light.X / horizontal * push : 0, sz = horizontal > 1e-6 ? -light.Z / horizontal * push : 0;
        double radius = 0.3 * k * scene.Shape.Girth;
        float strength = (float)Math.Clamp(0.25 + scene.Diffuse * 0.5, 0, 0.6);
        for (int py = 0; py < Height; py++)
        {
            for (int px = 0; px < Width; px++)
            {
                Vec3 dir = view.Ray(px, py);
                if (dir.Y >= -1e-9)
                {
                    continue; // at or above the horizon: the ray never meets the ground
                }

                double t = -view.Camera.Y / dir.Y;
                double gx = view.Camera.X + t * dir.X - sx, gz = view.Camera.Z + t * dir.Z - sz;
                double d2 = (gx * gx + gz * gz) / (radius * radius);
                if (d2 > 6)
                {
                    continue;
                }

                float factor = 1 - strength * (float)Math.Exp(-d2);
                int i = (py * Width + px) * 3;
                rgb[i] *= factor;
                rgb[i + 1] *= factor;
                rgb[i + 2] *= factor;
            }
        }
    }

    /// <summary>
    /// Writes shaded texture colours (texture sample x shade, clamped to [0, 255]) into <paramref name="rgb"/>
    /// (interleaved RGB floats, Width x Height) at every body pixel of <paramref name="map"/>; background pixels are left.
    /// </summary>
    public static void Shade(RgbImage texture, SurfaceMap map, float[] rgb)
    {
        ArgumentNullException.ThrowIfNull(texture);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(rgb);
        if (texture.Width != UvAtlas.Size || texture.Height != UvAtlas.Size)
        {
            throw new ArgumentException($"Texture must be {UvAtlas.Size}x{UvAtlas.Size}, got {texture.Width}x{texture.Height}.", nameof(texture));
        }

        for (int i = 0; i < map.Region.Length; i++)
        {
            int region = map.Region[i];
            if (region < 0)
            {
                continue;
            }

            (float r, float g, float b) = UvAtlas.Sample(texture, region, map.U[i], map.V[i]);
            float s = map.Shade[i];
            rgb[i * 3] = Math.Min(255f, r * s);
            rgb[i * 3 + 1] = Math.Min(255f, g * s);
            rgb[i * 3 + 2] = Math.Min(255f, b * s);
        }
    }

    /// <summary>
    /// The (part, u, v) render mode: R = 8 * (region + 1) (0 = background; region = part * 2 + side),
    /// G = round(255 u), B = round(255 v).
    /// </summary>
    public static RgbImage SurfaceImage(SurfaceMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var image = new RgbImage(map.Width, map.Height);
        for (int i = 0; i < map.Region.Length; i++)
        {
            if (map.Region[i] >= 0)
            {
                image.Pixels[i * 3] = (byte)(8 * (map.Region[i] + 1));
                image.Pixels[i * 3 + 1] = Rgb.ToByte(map.U[i] * 255);
                image.Pixels[i * 3 + 2] = Rgb.ToByte(map.V[i] * 255);
            }
        }

        return image;
    }

    private static void RasterizePart(PartSolid part, Mat3 rotation, Vec3 centre, View view, Vec3 light, SceneParams scene, SurfaceMap map)
    {
        Vec3 camera = view.Camera, forward = view.Forward, right = view.Right, up = view.Up;
        double focal = view.Focal, cx = view.Cx, cy = view.Cy;
        double a = part.RadiusX, b = part.RadiusZ, h = part.HalfLength, c = part.Cap;

        // Screen bounding box of the part's local box.
        double minX = double.MaxValue, maxX = double.MinValue, minY = double.MaxValue, maxY = double.MinValue;
        for (int corner = 0; corner < 8; corner++)
        {
            var local = new Vec3((corner & 1) == 0 ? -a : a, (corner & 2) == 0 ? -(h + c) : h + c, (corner & 4) == 0 ? -b : b);
            Vec3 d = centre + rotation * local - camera;
            double z = d.Dot(forward);
            if (z <= 1e-6)
            {
                return; // behind the camera: never for sane scenes
            }

            double sx = cx + focal * d.Dot(right) / z, sy = cy - focal * d.Dot(up) / z;
            minX = Math.Min(minX, sx);
            maxX = Math.Max(maxX, sx);
            minY = Math.Min(minY, sy);
            maxY = Math.Max(maxY, sy);
        }

        int x0 = Math.Max(0, (int)Math.Floor(minX)), x1 = Math.Min(Width - 1, (int)Math.Ceiling(maxX));
        int y0 = Math.Max(0, (int)Math.Floor(minY)), y1 = Math.Min(Height - 1, (int)Math.Ceiling(maxY));
        if (x0 > x1 || y0 > y1)
        {
            return;
        }

        // Ray through pixel (px, py) centre: dir = forward + right (px + 0.5 - cx) / f - up (py + 0.5 - cy) / f,
        // linear in px and py, so its local form is too. Local coordinates are scaled so the cross-section is a unit circle.
        Vec3 o = rotation.TransposeMul(camera - centre);
        Vec3 dx = rotation.TransposeMul(right * (1 / focal));
        Vec3 dy = rotation.TransposeMul(up * (-1 / focal));
        Vec3 d0 = rotation.TransposeMul(forward + right * ((0.5 - cx) / focal) - up * ((0.5 - cy) / focal));
        double ox = o.X / a, oy = o.Y, oz = o.Z / b;
        double invC = 1 / c;
        int side = (int)part.Part * 2;
        double vScale = 1 / (2 * (h + c));

        for (int py = y0; py <= y1; py++)
        {
            for (int px = x0; px <= x1; px++)
            {
                double rx = (d0.X + dx.X * px + dy.X * py) / a;
                double ry = d0.Y + dx.Y * px + dy.Y * py;
                double rz = (d0.Z + dx.Z * px + dy.Z * py) / b;
                double best = double.PositiveInfinity;
                int patch = 0;

                // Lateral surface: X^2 + Z^2 = 1 with |y| <= h.
                double qa = rx * rx + rz * rz, qb = 2 * (ox * rx + oz * rz), qc = ox * ox + oz * oz - 1;
                double disc = qb * qb - 4 * qa * qc;
                if (disc >= 0 && qa > 1e-18)
                {
                    double t = (-qb - Math.Sqrt(disc)) / (2 * qa);
                    double y = oy + t * ry;
                    if (t > 0 && y >= -h && y <= h)
                    {
                        best = t;
                        patch = 0;
                    }
                }

                // End caps: half-ellipsoids X^2 + ((y -+ h)/c)^2 + Z^2 = 1 beyond the cylinder's ends.
                for (int end = -1; end <= 1; end += 2)
                {
                    double oyc = (oy - end * h) * invC, ryc = ry * invC;
                    double ea = qa + ryc * ryc, eb = qb + 2 * oyc * ryc, ec = qc + oyc * oyc;
                    double ed = eb * eb - 4 * ea * ec;
                    if (ed < 0)
                    {
                        continue;
                    }

                    double t = (-eb - Math.Sqrt(ed)) / (2 * ea);
                    double y = oy + t * ry;
                    if (t > 0 && t < best && (end > 0 ? y >= h : y <= -h))
                    {
                        best = t;
                        patch = end;
                    }
                }

                int index = py * Width + px;
                if (best >= map.Depth[index])
                {
                    continue;
                }

                double hx = ox + best * rx, hy = oy + best * ry, hz = oz + best * rz; // hx, hz scaled
                double theta = Math.Atan2(hx, hz); // 0 = front centre, +pi/2 = the part's left
                int regionSide;
                double u;
                if (theta >= -Math.PI / 2 && theta <= Math.PI / 2)
                {
                    regionSide = 0;
                    u = (theta + Math.PI / 2) / Math.PI;
                }
                else
                {
                    regionSide = 1;
                    double phi = theta > 0 ? theta : theta + 2 * Math.PI;
                    u = (phi - Math.PI / 2) / Math.PI;
                }

                double v = (h + c - hy) * vScale;

                // Normal in the unscaled local frame: gradient of the implicit surface.
                double ny = patch == 0 ? 0 : (hy - patch * h) * invC * invC;
                Vec3 normal = rotation * new Vec3(hx / a, ny, hz / b);
                double lambert = Math.Max(0, normal.Dot(light) / normal.Length);

                map.Depth[index] = best;
                map.Region[index] = (sbyte)(side + regionSide);
                map.U[index] = (float)Math.Clamp(u, 0, 1);
                map.V[index] = (float)Math.Clamp(v, 0, 1);
                map.Shade[index] = (float)(scene.Ambient + scene.Diffuse * lambert);
            }
        }
    }

    /// <summary>
    /// The perspective camera of a scene: at (0, CameraHeight, CameraDistance) looking at the body's middle, image +x to
    /// the right, focal length and principal point chosen so that feet-to-head spans Fill of the image height, centred
    /// plus the scene's offset.
    /// </summary>
    private readonly record struct View(Vec3 Camera, Vec3 Forward, Vec3 Right, Vec3 Up, double Focal, double Cx, double Cy)
    {
        public static View Of(SceneParams scene, PartSolid[] parts)
        {
            double top = BodyModel.TopOfHead(parts);
            var camera = new Vec3(0, scene.CameraHeight, scene.CameraDistance);
            Vec3 forward = (new Vec3(0, top * 0.5, 0) - camera).Normalized();
            Vec3 right = forward.Cross(new Vec3(0, 1, 0)).Normalized();
            Vec3 up = right.Cross(forward);
            double feetY = ProjectY(new Vec3(0, 0, 0)), headY = ProjectY(new Vec3(0, top, 0));
            double focal = scene.Fill * Height / (feetY - headY);
            double cy = Height / 2.0 + scene.OffsetY - focal * (feetY + headY) / 2;
            double cx = Width / 2.0 + scene.OffsetX;
            return new View(camera, forward, right, up, focal, cx, cy);

            double ProjectY(Vec3 p)
            {
                Vec3 d = p - camera;
                return -d.Dot(up) / d.Dot(forward);
            }
        }

        /// <summary>The (unnormalised) world ray through the centre of pixel (px, py).</summary>
        public Vec3 Ray(int px, int py) => Forward + Right * ((px + 0.5 - Cx) / Focal) - Up * ((py + 0.5 - Cy) / Focal);
    }
}
