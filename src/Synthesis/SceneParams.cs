namespace SanReid.Synthesis;

/// <summary>
/// Everything about one rendered view except the identity's texture: body, pose, view and light.
/// </summary>
/// <param name="Shape">The person's build.</param>
/// <param name="Pose">The walking pose.</param>
/// <param name="Yaw">Rotation of the person about the vertical axis in radians: 0 faces the camera, pi turns the back to it, +pi/2 makes the person face image right (right side to the camera).</param>
/// <param name="CameraDistance">Horizontal distance from camera to person, metres (perspective strength).</param>
/// <param name="CameraHeight">Camera height above the ground, metres (looking down when above the body's middle).</param>
/// <param name="Fill">Fraction of the image height (256 px) spanned by the person from feet to the top of the head.</param>
/// <param name="OffsetX">Horizontal shift of the person's centre from the image centre, pixels.</param>
/// <param name="OffsetY">Vertical shift of the person's centre from the image centre, pixels.</param>
/// <param name="Light">Direction towards the directional light, world frame (y up, camera at +z); need not be unit length.</param>
/// <param name="Ambient">Ambient shading term (0..1).</param>
/// <param name="Diffuse">Directional (Lambert) shading term (0..1); shade = Ambient + Diffuse * max(0, n . l).</param>
public sealed record SceneParams(
    BodyShape Shape,
    WalkPose Pose,
    double Yaw,
    double CameraDistance,
    double CameraHeight,
    double Fill,
    double OffsetX,
    double OffsetY,
    Vec3 Light,
    double Ambient,
    double Diffuse)
{
    /// <summary>A frontal, centred, evenly lit standing view of an average body.</summary>
    public static SceneParams Frontal => new(BodyShape.Average, WalkPose.Standing, 0, 8, 2.5, CentredFill, 0, 0, new Vec3(0.3, 0.8, 0.6), 0.6, 0.4);

    /// <summary>This view framed like a ground-truth box: centred, feet to head over <see cref="CentredFill"/> of the height.</summary>
    public SceneParams Centred() => this with { Fill = CentredFill, OffsetX = 0, OffsetY = 0 };

    /// <summary>This view under the fixed light of <see cref="Frontal"/>.</summary>
    public SceneParams FixedLight() => this with { Light = Frontal.Light, Ambient = Frontal.Ambient, Diffuse = Frontal.Diffuse };

    /// <summary>Fill of <see cref="Frontal"/> and of <see cref="Centred"/> framing: a ground-truth box, feet to head over 88 % of the height.</summary>
    public const double CentredFill = 0.88;

    /// <summary>
    /// Draws pose, yaw, view and light for a person of build <paramref name="shape"/>. The framing imitates a
    /// pedestrian detector's box (Market-1501's crops come from DPM): 80 % of boxes span 82-98 % of the height,
    /// 20 % are tight (98-112 %, cutting the head or feet); the centre is off by a triangular draw of up to
    /// 10 % of the width (12.8 px) and 10 % of the height (25.6 px), so a box sometimes cuts off the feet or head.
    /// </summary>
    public static SceneParams Sample(Random random, BodyShape shape)
    {
        ArgumentNullException.ThrowIfNull(random);
        double stride = random.NextDouble() < 0.8 ? 0.45 + random.NextDouble() * 0.55 : random.NextDouble() * 0.3;
        double elevation = (25 + random.NextDouble() * 50) * Math.PI / 180, azimuth = random.NextDouble() * 2 * Math.PI;
        return new SceneParams(
            Shape: shape,
            Pose: new WalkPose(random.NextDouble() * 2 * Math.PI, stride),
            Yaw: random.NextDouble() * 2 * Math.PI,
            CameraDistance: 5 + random.NextDouble() * 7,
            CameraHeight: 1.8 + random.NextDouble() * 3.2,
            Fill: random.NextDouble() < 0.8 ? 0.82 + random.NextDouble() * 0.16 : 0.98 + random.NextDouble() * 0.14,
            OffsetX: (random.NextDouble() + random.NextDouble() - 1) * 0.1 * Renderer.Width,
            OffsetY: (random.NextDouble() + random.NextDouble() - 1) * 0.1 * Renderer.Height,
            Light: new Vec3(Math.Cos(elevation) * Math.Sin(azimuth), Math.Sin(elevation), Math.Cos(elevation) * Math.Cos(azimuth)),
            Ambient: 0.45 + random.NextDouble() * 0.25,
            Diffuse: 0.25 + random.NextDouble() * 0.3);
    }
}
