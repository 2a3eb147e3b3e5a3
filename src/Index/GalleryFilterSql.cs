using System.Data.Common;

namespace SanReid.Index;

/// <summary>
/// The WHERE clause of a <see cref="GalleryFilter"/>, written once for both gallery databases. The two SQL dialects
/// differ only in how a parameter is written and how a set of cameras is bound: SQLite reads one JSON array parameter
/// with <c>json_each</c> (one parameter per camera hit SQLite's limit of 32,766 bound variables), PostgreSQL takes an
/// <c>int[]</c> with <c>= ANY</c>. Rules (the in-memory catalog applies the same): an item without a camera never
/// matches an include list and always passes an exclude list; from is inclusive, to exclusive; label is exact.
/// </summary>
/// <param name="Placeholder">How a parameter appears in the SQL (<c>$name</c>, <c>@name</c>).</param>
/// <param name="ParameterName">The name a parameter is given on the command.</param>
/// <param name="InCameras">The condition "camera_id is in the set bound to this placeholder".</param>
/// <param name="CameraSet">The value that binds a set of cameras (distinct ids).</param>
internal sealed record GalleryFilterSql(
    Func<string, string> Placeholder, Func<string, string> ParameterName, Func<string, string> InCameras, Func<IEnumerable<int>, object> CameraSet)
{
    /// <summary>SQLite: <c>$name</c>; cameras as a JSON array read by <c>json_each</c>.</summary>
    public static readonly GalleryFilterSql Sqlite = new(
        name => "$" + name, name => "$" + name, p => $"camera_id IN (SELECT value FROM json_each({p}))",
        ids => "[" + string.Join(",", ids.Distinct().Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]");

    /// <summary>PostgreSQL (Npgsql): <c>@name</c>; cameras as an <c>int[]</c>.</summary>
    public static readonly GalleryFilterSql PostgreSql = new(
        name => "@" + name, name => name, p => $"camera_id = ANY({p})", ids => ids.Distinct().ToArray());

    /// <summary>WHERE clause (with leading space, or empty) for a filter; adds its parameters to the command.</summary>
    public string Where(GalleryFilter? filter, DbCommand command)
    {
        if (filter is null)
        {
            return "";
        }

        var clauses = new List<string>();
        void Bind(string name, object value)
        {
            DbParameter parameter = command.CreateParameter();
            parameter.ParameterName = ParameterName(name);
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        if (filter.IncludeCameras is { Count: > 0 } include)
        {
            clauses.Add(InCameras(Placeholder("include_cameras")));
            Bind("include_cameras", CameraSet(include));
        }

        if (filter.ExcludeCameras is { Count: > 0 } exclude)
        {
            clauses.Add($"(camera_id IS NULL OR NOT {InCameras(Placeholder("exclude_cameras"))})");
            Bind("exclude_cameras", CameraSet(exclude));
        }

        if (filter.CapturedFrom is { } from)
        {
            clauses.Add($"captured_at >= {Placeholder("from")}");
            Bind("from", from.UtcTicks);
        }

        if (filter.CapturedTo is { } to)
        {
            clauses.Add($"captured_at < {Placeholder("to")}");
            Bind("to", to.UtcTicks);
        }

        if (filter.Label is { } label)
        {
            clauses.Add($"label = {Placeholder("label")}");
            Bind("label", label);
        }

        return clauses.Count == 0 ? "" : " WHERE " + string.Join(" AND ", clauses);
    }
}
