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
    public static SceneParams Frontal => new(BodyShape.Average, WalkPose.Standing, 0, 8, 2.5, 0.88, 0, 0, new Vec3(0.3, 0.8, 0.6), 0.6, 0.4);

    /// <summary>Draws pose, yaw, view and light for a person of build <paramref name="shape"/>.</summary>
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
            Fill: 0.8 + random.NextDouble() * 0.14,
            OffsetX: (random.NextDouble() - 0.5) * 12,
            OffsetY: (random.NextDouble() - 0.5) * 14,
            Light: new Vec3(Math.Cos(elevation) * Math.Sin(azimuth), Math.Sin(elevation), Math.Cos(elevation) * Math.Cos(azimuth)),
            Ambient: 0.45 + random.NextDouble() * 0.25,
            Diffuse: 0.25 + random.NextDouble() * 0.3);
    }
}
