namespace SanReid.Synthesis;

/// <summary>
/// The rigid parts of the synthetic body. "Left" and "Right" are the person's own sides.
/// Each part has one region per <see cref="SurfaceSide"/> in the texture atlas (<see cref="UvAtlas"/>).
/// </summary>
public enum BodyPart
{
    Head,
    Neck,
    Torso,
    UpperArmLeft,
    LowerArmLeft,
    HandLeft,
    UpperArmRight,
    LowerArmRight,
    HandRight,
    UpperLegLeft,
    LowerLegLeft,
    FootLeft,
    UpperLegRight,
    LowerLegRight,
    FootRight,
}

/// <summary>
/// Which half of a part's surface a texture region covers: <see cref="Front"/> faces the way the person faces
/// (for a foot: its upper side), <see cref="Back"/> the opposite way.
/// </summary>
public enum SurfaceSide
{
    Front,
    Back,
}
