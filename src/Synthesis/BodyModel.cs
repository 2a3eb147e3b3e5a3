namespace SanReid.Synthesis;

/// <summary>
/// A person's build. <see cref="Height"/> in metres (1.4..2.1); the factors are relative to an average adult
/// (about 0.8..1.3).
/// </summary>
public readonly record struct BodyShape(double Height, double Girth, double ShoulderWidth, double LegLength, double HeadSize)
{
    /// <summary>An average 1.70 m adult.</summary>
    public static BodyShape Average => new(1.70, 1.0, 1.0, 1.0, 1.0);

    /// <summary>Draws a plausible build.</summary>
    public static BodyShape Sample(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return new BodyShape(
            Height: 1.50 + random.NextDouble() * 0.45,
            Girth: 0.8 + random.NextDouble() * 0.45,
            ShoulderWidth: 0.87 + random.NextDouble() * 0.26,
            LegLength: 0.92 + random.NextDouble() * 0.16,
            HeadSize: 0.92 + random.NextDouble() * 0.16);
    }
}

/// <summary>
/// A walking pose: gait <see cref="Phase"/> in radians (0..2 pi; 0 and pi are mid-stride) and
/// <see cref="Stride"/> in [0, 1] (0 = standing still, 1 = a long stride).
/// </summary>
public readonly record struct WalkPose(double Phase, double Stride)
{
    /// <summary>Standing upright with arms down.</summary>
    public static WalkPose Standing => new(0, 0);
}

/// <summary>
/// One rigid solid of the body: an elliptic capsule. In its local frame the axis is y (the top end, nearest the head,
/// at +y; for a foot the heel), the cylinder spans y in [-HalfLength, HalfLength] with elliptic cross-section
/// x^2/RadiusX^2 + z^2/RadiusZ^2 = 1, and each end is closed by a half-ellipsoid of height Cap. Local +z is the
/// part's front, local +x the person's left.
/// </summary>
public readonly record struct PartSolid(BodyPart Part, Vec3 Center, Mat3 Rotation, double HalfLength, double RadiusX, double RadiusZ, double Cap);

/// <summary>
/// The articulated body: builds the 15 part solids of a <see cref="BodyShape"/> in a <see cref="WalkPose"/>.
/// Body frame: metres, y up with the ground at y = 0, the person faces +z, +x is the person's left.
/// </summary>
public static class BodyModel
{
    /// <summary>The solids of the body, in <see cref="BodyPart"/> order.</summary>
    public static PartSolid[] Build(BodyShape shape, WalkPose pose)
    {
        double k = shape.Height / 1.70;
        double g = shape.Girth;
        double leg = k * shape.LegLength;
        var parts = new PartSolid[UvAtlas.PartCount];

        // Legs: hip joint to knee to ankle; feet attached at the ankle.
        double ankleY = 0.07 * k;
        double lowerLen = 0.40 * leg, upperLen = 0.41 * leg;
        double hipY = ankleY + lowerLen + upperLen;
        double hipX = 0.085 * k * g;
        double a = pose.Stride;
        double swing = 0.42 * a * Math.Sin(pose.Phase);
        double kneeL = a * (0.08 + 0.65 * Math.Max(0, Math.Cos(pose.Phase))) + 0.02;
        double kneeR = a * (0.08 + 0.65 * Math.Max(0, -Math.Cos(pose.Phase))) + 0.02;
        // Lift the whole body so that the lower foot touches the ground.
        double dropL = LegDrop(upperLen, lowerLen, swing, swing - kneeL);
        double dropR = LegDrop(upperLen, lowerLen, -swing, -swing - kneeR);
        double lift = Math.Max(dropL, dropR) - (upperLen + lowerLen);
        var origin = new Vec3(0, lift, 0);

        Leg(parts, BodyPart.UpperLegLeft, BodyPart.LowerLegLeft, BodyPart.FootLeft, origin + new Vec3(hipX, hipY, 0), swing, kneeL, upperLen, lowerLen, k, g);
        Leg(parts, BodyPart.UpperLegRight, BodyPart.LowerLegRight, BodyPart.FootRight, origin + new Vec3(-hipX, hipY, 0), -swing, kneeR, upperLen, lowerLen, k, g);

        // Trunk: torso from the crotch to the shoulders, neck, head.
        double torsoBottom = hipY - 0.06 * k, torsoTop = torsoBottom + 0.60 * k;
        double torsoCap = 0.075 * k;
        double torsoHalfWidth = 0.165 * k * g * shape.ShoulderWidth, torsoHalfDepth = 0.105 * k * g;
        var torsoCentre = origin + new Vec3(0, (torsoBottom + torsoTop) / 2, 0);
        double lean = 0.04 * a; // a walker leans forward a little
        Mat3 trunk = Mat3.RotX(lean);
        parts[(int)BodyPart.Torso] = new(BodyPart.Torso, torsoCentre, trunk, (torsoTop - torsoBottom) / 2 - torsoCap, torsoHalfWidth, torsoHalfDepth, torsoCap);
        Vec3 neckBase = torsoCentre + trunk * new Vec3(0, (torsoTop - torsoBottom) / 2 - 0.03 * k, 0);
        double neckHalf = 0.045 * k;
        parts[(int)BodyPart.Neck] = new(BodyPart.Neck, neckBase + trunk * new Vec3(0, neckHalf, 0), trunk, neckHalf, 0.05 * k * g, 0.05 * k * g, 0.03 * k);
        double headHalfHeight = 0.115 * k * shape.HeadSize;
        Vec3 headCentre = neckBase + trunk * new Vec3(0, 2 * neckHalf + headHalfHeight * 0.8, 0.01 * k);
        parts[(int)BodyPart.Head] = new(BodyPart.Head, headCentre, trunk, 0.02 * k * shape.HeadSize, 0.082 * k * shape.HeadSize, 0.098 * k * shape.HeadSize, headHalfHeight - 0.02 * k * shape.HeadSize);

        // Arms swing against the legs.
        double shoulderY = (torsoTop - torsoBottom) / 2 - 0.09 * k;
        double armRadius = 0.043 * k * g;
        double shoulderX = torsoHalfWidth * 0.9 + armRadius * 0.35; // the arm's top tucks under the rounded shoulder
        double armSwing = 0.38 * a * Math.Sin(pose.Phase);
        double elbow = 0.12 + 0.3 * a;
        Arm(parts, BodyPart.UpperArmLeft, BodyPart.LowerArmLeft, BodyPart.HandLeft, torsoCentre + trunk * new Vec3(shoulderX, shoulderY, 0), trunk, -armSwing, elbow, 1, k, g);
        Arm(parts, BodyPart.UpperArmRight, BodyPart.LowerArmRight, BodyPart.HandRight, torsoCentre + trunk * new Vec3(-shoulderX, shoulderY, 0), trunk, armSwing, elbow, -1, k, g);
        return parts;
    }

    /// <summary>Total height of the body (ground to the top of the head) for a shape, in metres.</summary>
    public static double TopOfHead(PartSolid[] parts)
    {
        PartSolid head = parts[(int)BodyPart.Head];
        return head.Center.Y + head.HalfLength + head.Cap;
    }

    // Rotation that swings a hanging limb forward by `forward` radians (positive: the far end moves to +z).
    private static Mat3 Swing(double forward) => Mat3.RotX(-forward);

    private static double LegDrop(double upperLen, double lowerLen, double hipAngle, double shinAngle) =>
        upperLen * Math.Cos(hipAngle) + lowerLen * Math.Cos(shinAngle);

    private static void Leg(PartSolid[] parts, BodyPart upper, BodyPart lower, BodyPart foot, Vec3 hip, double swing, double knee, double upperLen, double lowerLen, double k, double g)
    {
        Mat3 thigh = Swing(swing);
        parts[(int)upper] = new(upper, hip + thigh * new Vec3(0, -upperLen / 2, 0), thigh, upperLen / 2, 0.075 * k * g, 0.08 * k * g, 0.06 * k * g);
        Vec3 kneePos = hip + thigh * new Vec3(0, -upperLen, 0);
        Mat3 shin = Swing(swing - knee);
        parts[(int)lower] = new(lower, kneePos + shin * new Vec3(0, -lowerLen / 2, 0), shin, lowerLen / 2, 0.052 * k * g, 0.058 * k * g, 0.045 * k * g);
        Vec3 ankle = kneePos + shin * new Vec3(0, -lowerLen, 0);
        // The foot points forward; it follows the shin's pitch halfway so that it stays roughly flat.
        Mat3 pitch = Swing((swing - knee) * 0.5);
        Mat3 footFrame = pitch * Mat3.FromColumns(new Vec3(1, 0, 0), new Vec3(0, 0, -1), new Vec3(0, 1, 0));
        Vec3 centre = ankle + pitch * new Vec3(0, -0.035 * k, 0.065 * k);
        parts[(int)foot] = new(foot, centre, footFrame, 0.075 * k, 0.045 * k, 0.038 * k, 0.045 * k);
    }

    private static void Arm(PartSolid[] parts, BodyPart upper, BodyPart lower, BodyPart hand, Vec3 shoulder, Mat3 trunk, double swing, double elbow, int side, double k, double g)
    {
        double upperLen = 0.28 * k, lowerLen = 0.25 * k;
        Mat3 abduct = Mat3.RotZ(side * 0.07);
        Mat3 arm = trunk * abduct * Swing(swing);
        parts[(int)upper] = new(upper, shoulder + arm * new Vec3(0, -upperLen / 2, 0), arm, upperLen / 2, 0.043 * k * g, 0.045 * k * g, 0.04 * k * g);
        Vec3 elbowPos = shoulder + arm * new Vec3(0, -upperLen, 0);
        Mat3 forearm = trunk * abduct * Swing(swing + elbow);
        parts[(int)lower] = new(lower, elbowPos + forearm * new Vec3(0, -lowerLen / 2, 0), forearm, lowerLen / 2, 0.036 * k * g, 0.038 * k * g, 0.034 * k * g);
        Vec3 wrist = elbowPos + forearm * new Vec3(0, -lowerLen, 0);
        parts[(int)hand] = new(hand, wrist + forearm * new Vec3(0, -0.05 * k, 0), forearm, 0.025 * k, 0.025 * k, 0.04 * k, 0.035 * k);
    }
}
