namespace SanReid.Synthesis;

/// <summary>A 3-vector in double precision (metres when it is a position). Used by the synthetic renderer.</summary>
public readonly record struct Vec3(double X, double Y, double Z)
{
    public static Vec3 operator +(Vec3 a, Vec3 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);

    public static Vec3 operator -(Vec3 a, Vec3 b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);

    public static Vec3 operator *(Vec3 a, double s) => new(a.X * s, a.Y * s, a.Z * s);

    public static Vec3 operator -(Vec3 a) => new(-a.X, -a.Y, -a.Z);

    public double Dot(Vec3 b) => X * b.X + Y * b.Y + Z * b.Z;

    public Vec3 Cross(Vec3 b) => new(Y * b.Z - Z * b.Y, Z * b.X - X * b.Z, X * b.Y - Y * b.X);

    public double Length => Math.Sqrt(Dot(this));

    /// <summary>This vector scaled to length 1 (the zero vector is returned unchanged).</summary>
    public Vec3 Normalized()
    {
        double length = Length;
        return length > 0 ? this * (1.0 / length) : this;
    }
}

/// <summary>
/// A 3x3 rotation matrix (row-major). Its columns are the rotated frame's x, y and z axes, so
/// <c>M * v</c> takes a vector from the rotated (local) frame to the parent frame and
/// <see cref="TransposeMul"/> takes it back.
/// </summary>
public readonly record struct Mat3(
    double M00, double M01, double M02,
    double M10, double M11, double M12,
    double M20, double M21, double M22)
{
    public static Mat3 Identity => new(1, 0, 0, 0, 1, 0, 0, 0, 1);

    /// <summary>Rotation about the x axis by <paramref name="radians"/> (right-handed).</summary>
    public static Mat3 RotX(double radians)
    {
        double c = Math.Cos(radians), s = Math.Sin(radians);
        return new(1, 0, 0, 0, c, -s, 0, s, c);
    }

    /// <summary>Rotation about the y (vertical) axis by <paramref name="radians"/> (right-handed).</summary>
    public static Mat3 RotY(double radians)
    {
        double c = Math.Cos(radians), s = Math.Sin(radians);
        return new(c, 0, s, 0, 1, 0, -s, 0, c);
    }

    /// <summary>Rotation about the z axis by <paramref name="radians"/> (right-handed).</summary>
    public static Mat3 RotZ(double radians)
    {
        double c = Math.Cos(radians), s = Math.Sin(radians);
        return new(c, -s, 0, s, c, 0, 0, 0, 1);
    }

    /// <summary>The matrix whose columns are <paramref name="x"/>, <paramref name="y"/> and <paramref name="z"/>.</summary>
    public static Mat3 FromColumns(Vec3 x, Vec3 y, Vec3 z) => new(x.X, y.X, z.X, x.Y, y.Y, z.Y, x.Z, y.Z, z.Z);

    public static Mat3 operator *(Mat3 a, Mat3 b) => new(
        a.M00 * b.M00 + a.M01 * b.M10 + a.M02 * b.M20, a.M00 * b.M01 + a.M01 * b.M11 + a.M02 * b.M21, a.M00 * b.M02 + a.M01 * b.M12 + a.M02 * b.M22,
        a.M10 * b.M00 + a.M11 * b.M10 + a.M12 * b.M20, a.M10 * b.M01 + a.M11 * b.M11 + a.M12 * b.M21, a.M10 * b.M02 + a.M11 * b.M12 + a.M12 * b.M22,
        a.M20 * b.M00 + a.M21 * b.M10 + a.M22 * b.M20, a.M20 * b.M01 + a.M21 * b.M11 + a.M22 * b.M21, a.M20 * b.M02 + a.M21 * b.M12 + a.M22 * b.M22);

    public static Vec3 operator *(Mat3 m, Vec3 v) => new(
        m.M00 * v.X + m.M01 * v.Y + m.M02 * v.Z,
        m.M10 * v.X + m.M11 * v.Y + m.M12 * v.Z,
        m.M20 * v.X + m.M21 * v.Y + m.M22 * v.Z);

    /// <summary>Transpose(this) * v: for a rotation, the inverse mapping (parent frame to local frame).</summary>
    public Vec3 TransposeMul(Vec3 v) => new(
        M00 * v.X + M10 * v.Y + M20 * v.Z,
        M01 * v.X + M11 * v.Y + M21 * v.Z,
        M02 * v.X + M12 * v.Y + M22 * v.Z);
}
