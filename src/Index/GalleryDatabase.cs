using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;

namespace SanReid.Index;

/// <summary>
/// The durable half of <see cref="GalleryStore"/>: one SQLite file (WAL journal, synchronous=FULL) with the items
/// table (metadata + embedding BLOB, float32 little-endian) and a meta table (schema version, dimension, factory).
/// Each call opens its own pooled connection, so concurrent readers do not share one.
/// Times are stored as UTC ticks (100 ns since 0001-01-01) and come back as UTC.
/// </summary>
internal sealed class GalleryDatabase
{
    private const string SchemaVersion = "1";
    private const int SqliteConstraint = 19;
    private const int SqliteConstraintUnique = 2067;
    private const string ItemColumns = "id, external_id, camera_id, label, captured_at, created_at, source_file_name";

    private readonly string connectionString;

    private GalleryDatabase(string path, string connectionString)
    {
        Path = path;
        this.connectionString = connectionString;
    }

    public string Path { get; }

    /// <summary>Creates or opens the file, its tables and meta; refuses a file made for another dimension.</summary>
    /// <exception cref="ArgumentException">The database holds embeddings of another dimension.</exception>
    /// <exception cref="InvalidDataException">The file is not a SQLite database (or not a gallery).</exception>
    public static GalleryDatabase Open(string path, int dimension, string factory, string? embeddingModel = null)
    {
        string fullPath = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(fullPath)!);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        };
        var database = new GalleryDatabase(fullPath, builder.ToString());
        try
        {
            database.Initialise(dimension, factory, embeddingModel);
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 26 or 11)
        {
            // 26 SQLITE_NOTADB, 11 SQLITE_CORRUPT
            database.ClearPool();
            throw new InvalidDataException($"Gallery database '{fullPath}' is not a readable SQLite database: {e.Message}", e);
        }
        catch
        {
            database.ClearPool();
            throw;
        }

        return database;
    }

    public long CountAll()
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM items";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>
    /// Inserts all items in one transaction; <paramref name="beforeCommit"/> gets their new ids (input order) and can
    /// veto the commit by throwing. Rolls back everything on any failure.
    /// </summary>
    /// <exception cref="DuplicateExternalIdException">An external id is already stored.</exception>
    public IReadOnlyList<GalleryItem> Insert(IReadOnlyList<NewGalleryItem> items, DateTimeOffset createdAt, Action<long[]> beforeCommit)
    {
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText =
            "INSERT INTO items (external_id, camera_id, label, captured_at, created_at, source_file_name, embedding) " +
            "VALUES ($external_id, $camera_id, $label, $captured_at, $created_at, $source_file_name, $embedding) RETURNING id";
        var externalId = command.Parameters.Add("$external_id", SqliteType.Text);
        var cameraId = command.Parameters.Add("$camera_id", SqliteType.Integer);
        var label = command.Parameters.Add("$label", SqliteType.Text);
        var capturedAt = command.Parameters.Add("$captured_at", SqliteType.Integer);
        var created = command.Parameters.Add("$created_at", SqliteType.Integer);
        var sourceFileName = command.Parameters.Add("$source_file_name", SqliteType.Text);
        var embedding = command.Parameters.Add("$embedding", SqliteType.Blob);
        created.Value = createdAt.UtcTicks;

        var ids = new long[items.Count];
        var stored = new GalleryItem[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            NewGalleryItem item = items[i];
            externalId.Value = (object?)item.ExternalId ?? DBNull.Value;
            cameraId.Value = (object?)item.CameraId ?? DBNull.Value;
            label.Value = (object?)item.Label ?? DBNull.Value;
            capturedAt.Value = (object?)item.CapturedAt?.UtcTicks ?? DBNull.Value;
            sourceFileName.Value = (object?)item.SourceFileName ?? DBNull.Value;
            embedding.Value = MemoryMarshal.AsBytes(item.Embedding.AsSpan()).ToArray();
            try
            {
                ids[i] = (long)command.ExecuteScalar()!;
            }
            catch (SqliteException e) when (e.SqliteErrorCode == SqliteConstraint && e.SqliteExtendedErrorCode == SqliteConstraintUnique)
            {
                throw new DuplicateExternalIdException(item.ExternalId ?? "");
            }

            stored[i] = new GalleryItem(
                ids[i], item.ExternalId, item.CameraId, item.Label, ToUtc(item.CapturedAt?.UtcTicks),
                new DateTimeOffset(createdAt.UtcTicks, TimeSpan.Zero), item.SourceFileName);
        }

        beforeCommit(ids);
        transaction.Commit();
        return stored;
    }

    /// <summary>Deletes one row; false when absent.</summary>
    public bool Delete(long id)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM items WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteNonQuery() > 0;
    }

    public GalleryItem? Get(long id)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {ItemColumns} FROM items WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadItem(reader) : null;
    }

    public float[]? GetEmbedding(long id)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT embedding FROM items WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadEmbedding(reader, 0) : null;
    }

    /// <summary>Items and embeddings of the given ids that still exist (missing ids are simply absent).</summary>
    public Dictionary<long, (GalleryItem Item, float[] Embedding)> GetWithEmbeddings(IReadOnlyCollection<long> ids)
    {
        var result = new Dictionary<long, (GalleryItem, float[])>(ids.Count);
        if (ids.Count == 0)
        {
            return result;
        }

        using var connection = OpenConnection();
        // Chunks keep each statement far below SQLite's limit on bound parameters (32,766).
        foreach (long[] chunk in ids.Chunk(500))
        {
            using var command = connection.CreateCommand();
            var sql = new StringBuilder($"SELECT {ItemColumns}, embedding FROM items WHERE id IN (");
            for (int i = 0; i < chunk.Length; i++)
            {
                sql.Append(i == 0 ? "" : ",").Append("$i").Append(i);
                command.Parameters.AddWithValue($"$i{i}", chunk[i]);
            }

            command.CommandText = sql.Append(')').ToString();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                GalleryItem item = ReadItem(reader);
                result[item.Id] = (item, ReadEmbedding(reader, 7));
            }
        }

        return result;
    }

    public GalleryPage List(GalleryFilter? filter, long afterId, int limit)
    {
        using var connection = OpenConnection();
        using var count = connection.CreateCommand();
        string where = Where(filter, count);
        count.CommandText = $"SELECT COUNT(*) FROM items{where}";
        long total = (long)count.ExecuteScalar()!;

        using var page = connection.CreateCommand();
        string pageWhere = Where(filter, page);
        page.CommandText =
            $"SELECT {ItemColumns} FROM items{pageWhere}{(pageWhere.Length == 0 ? " WHERE" : " AND")} id > $after ORDER BY id LIMIT $limit";
        page.Parameters.AddWithValue("$after", afterId);
        page.Parameters.AddWithValue("$limit", limit + 1);
        var items = new List<GalleryItem>(limit + 1);
        using (var reader = page.ExecuteReader())
        {
            while (reader.Read())
            {
                items.Add(ReadItem(reader));
            }
        }

        long? next = null;
        if (items.Count > limit)
        {
            items.RemoveAt(limit);
            next = items[^1].Id;
        }

        return new GalleryPage(items, total, next);
    }

    /// <summary>Ids of the rows that pass the filter, ascending.</summary>
    public long[] SelectIds(GalleryFilter? filter)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id FROM items{Where(filter, command)} ORDER BY id";
        var ids = new List<long>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }

        return [.. ids];
    }

    /// <summary>Streams (id, embedding) of the rows that pass the filter, by id ascending.</summary>
    public IEnumerable<(long Id, float[] Embedding)> ScanEmbeddings(GalleryFilter? filter)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id, embedding FROM items{Where(filter, command)} ORDER BY id";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return (reader.GetInt64(0), ReadEmbedding(reader, 1));
        }
    }

    /// <summary>Releases pooled connections so the file can be reopened, moved or deleted.</summary>
    public void ClearPool()
    {
        using var connection = new SqliteConnection(connectionString);
        SqliteConnection.ClearPool(connection);
    }

    /// <summary>WHERE clause (with leading space, or empty) for a filter; adds its parameters to the command.</summary>
    internal static string Where(GalleryFilter? filter, SqliteCommand command)
    {
        if (filter is null)
        {
            return "";
        }

        var clauses = new List<string>();
        if (filter.IncludeCameras is { Count: > 0 } include)
        {
            clauses.Add($"camera_id IN ({Parameters(command, "$inc", include)})");
        }

        if (filter.ExcludeCameras is { Count: > 0 } exclude)
        {
            clauses.Add($"(camera_id IS NULL OR camera_id NOT IN ({Parameters(command, "$exc", exclude)}))");
        }

        if (filter.CapturedFrom is { } from)
        {
            clauses.Add("captured_at >= $from");
            command.Parameters.AddWithValue("$from", from.UtcTicks);
        }

        if (filter.CapturedTo is { } to)
        {
            clauses.Add("captured_at < $to");
            command.Parameters.AddWithValue("$to", to.UtcTicks);
        }

        if (filter.Label is { } label)
        {
            clauses.Add("label = $label");
            command.Parameters.AddWithValue("$label", label);
        }

        return clauses.Count == 0 ? "" : " WHERE " + string.Join(" AND ", clauses);
    }

    private static string Parameters(SqliteCommand command, string prefix, IEnumerable<int> values)
    {
        var names = new List<string>();
        foreach (int value in values.Distinct())
        {
            string name = prefix + names.Count;
            command.Parameters.AddWithValue(name, value);
            names.Add(name);
        }

        return string.Join(",", names);
    }

    private static GalleryItem ReadItem(SqliteDataReader reader) => new(
        reader.GetInt64(0),
        reader.IsDBNull(1) ? null : reader.GetString(1),
        reader.IsDBNull(2) ? null : reader.GetInt32(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        ToUtc(reader.IsDBNull(4) ? null : reader.GetInt64(4)),
        ToUtc(reader.GetInt64(5))!.Value,
        reader.IsDBNull(6) ? null : reader.GetString(6));

    private static float[] ReadEmbedding(SqliteDataReader reader, int ordinal)
    {
        byte[] bytes = reader.GetFieldValue<byte[]>(ordinal);
        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    private static DateTimeOffset? ToUtc(long? ticks) => ticks is { } t ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    private SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        // synchronous is per connection: FULL makes every committed add/delete survive power loss under WAL.
        pragma.CommandText = "PRAGMA synchronous = FULL;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    private void Initialise(int dimension, string factory, string? embeddingModel)
    {
        using var connection = OpenConnection();
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            wal.ExecuteNonQuery();
        }

        using var transaction = connection.BeginTransaction();
        using (var schema = connection.CreateCommand())
        {
            schema.Transaction = transaction;
            schema.CommandText = """
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS items (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    external_id TEXT UNIQUE,
                    camera_id INTEGER,
                    label TEXT,
                    captured_at INTEGER,
                    created_at INTEGER NOT NULL,
                    source_file_name TEXT,
                    embedding BLOB NOT NULL);
                CREATE INDEX IF NOT EXISTS items_camera_id ON items (camera_id);
                CREATE INDEX IF NOT EXISTS items_captured_at ON items (captured_at);
                CREATE INDEX IF NOT EXISTS items_label ON items (label);
                """;
            schema.ExecuteNonQuery();
        }

        Dictionary<string, string> meta = ReadMeta(connection, transaction);
        if (meta.TryGetValue("schema_version", out string? version) && version != SchemaVersion)
        {
            throw new InvalidDataException($"Gallery database '{Path}' has schema version {version}; this build reads version {SchemaVersion}.");
        }

        if (meta.TryGetValue("dimension", out string? stored) && stored != dimension.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new ArgumentException(
                $"Gallery database '{Path}' holds {stored}-dimensional embeddings; it was opened with Dimension = {dimension}. " +
                "Use the model that filled it, or another database file.", nameof(dimension));
        }

        if (embeddingModel is not null)
        {
            if (meta.TryGetValue("embedding_model", out string? storedModel) && storedModel != embeddingModel)
            {
                using var count = connection.CreateCommand();
                count.Transaction = transaction;
                count.CommandText = "SELECT COUNT(*) FROM items";
                long items = (long)count.ExecuteScalar()!;
                if (items > 0)
                {
                    throw new GalleryModelMismatchException(Path, storedModel, embeddingModel, items);
                }
            }

            WriteMeta(connection, transaction, "embedding_model", embeddingModel);
        }

        WriteMeta(connection, transaction, "schema_version", SchemaVersion);
        WriteMeta(connection, transaction, "dimension", dimension.ToString(System.Globalization.CultureInfo.InvariantCulture));
        WriteMeta(connection, transaction, "index_factory", factory);
        transaction.Commit();
    }

    private static Dictionary<string, string> ReadMeta(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT key, value FROM meta";
        var meta = new Dictionary<string, string>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            meta[reader.GetString(0)] = reader.GetString(1);
        }

        return meta;
    }

    private static void WriteMeta(SqliteConnection connection, SqliteTransaction transaction, string key, string value)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO meta (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
    }
}
