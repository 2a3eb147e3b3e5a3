using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;

namespace SanReid.Index;

/// <summary>
/// The durable half of <see cref="GalleryStore"/>: one SQLite file (WAL journal, synchronous=FULL) with the items
/// table (metadata + embedding BLOB, float32 little-endian), the item_images table (an item's encoded image, keyed by
/// item id; a trigger deletes it with its item, so single, bulk and retention deletes all take it) and a meta table
/// (schema version, dimension, factory).
/// Each call opens its own pooled connection, so concurrent readers do not share one.
/// Times are stored as UTC ticks (100 ns since 0001-01-01) and come back as UTC.
/// </summary>
internal sealed class GalleryDatabase : IGalleryDatabase
{
    private const string SchemaVersion = "1";
    private const int SqliteConstraint = 19;
    private const int SqliteConstraintUnique = 2067;
    /// <summary>Item metadata, ordinals 0..7 (7: whether an image is stored); <see cref="ReadItem"/> reads them.</summary>
    private const string ItemColumns =
        "id, external_id, camera_id, label, captured_at, created_at, source_file_name, " +
        "EXISTS (SELECT 1 FROM item_images WHERE item_images.item_id = items.id)";

    /// <summary>Columns the items table must have (a table without them is not a gallery of this schema).</summary>
    private static readonly string[] ItemsTableColumns =
        ["id", "external_id", "camera_id", "label", "captured_at", "created_at", "source_file_name", "embedding"];

    private readonly string connectionString;
    private readonly int dimension;

    private GalleryDatabase(string path, string connectionString, int dimension)
    {
        Path = path;
        this.connectionString = connectionString;
        this.dimension = dimension;
    }

    public string Path { get; }

    /// <summary>Creates or opens the file (a full path; its directory exists), its tables and meta; refuses a file made
    /// for another dimension.</summary>
    /// <exception cref="ArgumentException">The database holds embeddings of another dimension.</exception>
    /// <exception cref="InvalidDataException">The file is not a SQLite database, or its tables are not a gallery's.</exception>
    /// <exception cref="IOException">SQLite cannot open or write the file (message names it and SQLite's reason).</exception>
    public static GalleryDatabase Open(string fullPath, int dimension, string factory, string? embeddingModel = null)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        };
        var database = new GalleryDatabase(fullPath, builder.ToString(), dimension);
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
        catch (SqliteException e)
        {
            // E.g. 14 SQLITE_CANTOPEN (a directory, an unwritable directory), 10 SQLITE_IOERR (a device such as
            // /dev/null), 8 SQLITE_READONLY. SQLite's own messages do not name the file.
            database.ClearPool();
            throw new IOException(
                $"Gallery database '{fullPath}' cannot be opened for reading and writing: {e.Message} " +
                "It must be a SQLite file (or not exist yet) in a directory the service can write " +
                "(SQLite keeps its -wal and -shm files next to it).", e);
        }
        catch
        {
            database.ClearPool();
            throw;
        }

        return database;
    }

    /// <summary>
    /// Inserts all items in one transaction; <paramref name="beforeCommit"/> gets their new ids (input order) and can
    /// veto the commit by throwing. Rolls back everything on any failure.
    /// </summary>
    /// <exception cref="DuplicateExternalIdException">An external id is already stored.</exception>
    /// <param name="items">The items' metadata (their Embedding is not used).</param>
    /// <param name="vectors">items.Count x D row-major embeddings to store, in item order.</param>
    /// <param name="createdAt">Creation time of every item.</param>
    /// <param name="beforeCommit">Called with the new ids inside the transaction; throwing vetoes the commit.</param>
    public IReadOnlyList<GalleryItem> Insert(
        IReadOnlyList<NewGalleryItem> items, float[] vectors, DateTimeOffset createdAt, Action<long[]> beforeCommit)
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
            embedding.Value = MemoryMarshal.AsBytes(vectors.AsSpan(i * dimension, dimension)).ToArray();
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
                new DateTimeOffset(createdAt.UtcTicks, TimeSpan.Zero), item.SourceFileName, item.Image is not null);
        }

        InsertImages(connection, transaction, items, ids);
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

    public GalleryImage? GetImage(long id)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT bytes, media_type FROM item_images WHERE item_id = $id";
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? new GalleryImage(reader.GetFieldValue<byte[]>(0), reader.GetString(1)) : null;
    }

    private static void InsertImages(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<NewGalleryItem> items, long[] ids)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO item_images (item_id, media_type, bytes) VALUES ($id, $media_type, $bytes)";
        var id = command.Parameters.Add("$id", SqliteType.Integer);
        var mediaType = command.Parameters.Add("$media_type", SqliteType.Text);
        var bytes = command.Parameters.Add("$bytes", SqliteType.Blob);
        for (int i = 0; i < items.Count; i++)
        {
            if (items[i].Image is { } image)
            {
                id.Value = ids[i];
                mediaType.Value = image.MediaType;
                bytes.Value = image.Bytes;
                command.ExecuteNonQuery();
            }
        }
    }

    public float[]? GetEmbedding(long id)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT embedding FROM items WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadEmbedding(reader, 0, id) : null;
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
                result[item.Id] = (item, ReadEmbedding(reader, 8, item.Id));
            }
        }

        return result;
    }

    /// <summary>Metadata of the given ids that still exist (missing ids are absent); no embeddings are read.</summary>
    public Dictionary<long, GalleryItem> GetItems(IReadOnlyCollection<long> ids)
    {
        var result = new Dictionary<long, GalleryItem>(ids.Count);
        if (ids.Count == 0)
        {
            return result;
        }

        using var connection = OpenConnection();
        foreach (long[] chunk in ids.Chunk(500))
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {ItemColumns} FROM items WHERE id IN (SELECT value FROM json_each($ids))";
            command.Parameters.AddWithValue("$ids", "[" + string.Join(",", chunk) + "]");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                GalleryItem item = ReadItem(reader);
                result[item.Id] = item;
            }
        }

        return result;
    }

    /// <summary>
    /// Streams every row's id, filter metadata and embedding (by id ascending) into <paramref name="row"/>: what the
    /// store loads into memory at open, in one pass. Reads through SQLite's own statement API over memory-mapped pages,
    /// handing out each embedding straight from SQLite's page (no per-row copy or allocation of the D floats): a
    /// million rows of 512 floats (4 GB of database) in seconds rather than the tens of seconds a data reader takes.
    /// </summary>
    /// <exception cref="InvalidDataException">A stored embedding is not D float32 values (names the item id).</exception>
    /// <returns>0: a SQLite gallery has no change feed (one store owns the file).</returns>
    public long ScanAll(RowVisitor row)
    {
        using var connection = OpenConnection();
        int expected = dimension * sizeof(float);
        SetMmap(connection, 1L << 40);
        try
        {
            SQLitePCL.sqlite3 db = connection.Handle!;
            Check(db, SQLitePCL.raw.sqlite3_prepare_v2(db, "SELECT id, camera_id, captured_at, label, embedding FROM items ORDER BY id", out SQLitePCL.sqlite3_stmt statement));
            using (statement)
            {
                var labels = new Dictionary<string, string>(StringComparer.Ordinal);
                int status;
                while ((status = SQLitePCL.raw.sqlite3_step(statement)) == SQLitePCL.raw.SQLITE_ROW)
                {
                    long id = SQLitePCL.raw.sqlite3_column_int64(statement, 0);
                    ReadOnlySpan<byte> blob = SQLitePCL.raw.sqlite3_column_blob(statement, 4);
                    if (blob.Length != expected)
                    {
                        throw new InvalidDataException(
                            $"Gallery database '{Path}': the embedding of item id {id} has {blob.Length} bytes; " +
                            $"{dimension}-dimensional float32 embeddings have {expected}. The row is damaged.");
                    }

                    int? camera = SQLitePCL.raw.sqlite3_column_type(statement, 1) == SQLitePCL.raw.SQLITE_NULL
                        ? null : SQLitePCL.raw.sqlite3_column_int(statement, 1);
                    long? captured = SQLitePCL.raw.sqlite3_column_type(statement, 2) == SQLitePCL.raw.SQLITE_NULL
                        ? null : SQLitePCL.raw.sqlite3_column_int64(statement, 2);
                    string? label = null;
                    if (SQLitePCL.raw.sqlite3_column_type(statement, 3) != SQLitePCL.raw.SQLITE_NULL)
                    {
                        // Few distinct labels: one string each, not one per row.
                        string text = SQLitePCL.raw.sqlite3_column_text(statement, 3).utf8_to_string();
                        label = labels.TryGetValue(text, out string? known) ? known : labels[text] = text;
                    }

                    row(id, camera, ToUtc(captured), label, MemoryMarshal.Cast<byte, float>(blob));
                }

                Check(db, status == SQLitePCL.raw.SQLITE_DONE ? SQLitePCL.raw.SQLITE_OK : status);
            }
        }
        finally
        {
            SetMmap(connection, 0);
        }

        return 0;
    }

    private static void SetMmap(SqliteConnection connection, long bytes)
    {
        using var command = connection.CreateCommand();
        // Reads of the scan come from mapped pages instead of one read() copy per 4 KB page (most of a scan's time was
        // in the kernel). Pooled connections go back to plain reads afterwards.
        command.CommandText = $"PRAGMA mmap_size = {bytes}";
        command.ExecuteNonQuery();
    }

    private void Check(SQLitePCL.sqlite3 db, int status)
    {
        if (status != SQLitePCL.raw.SQLITE_OK)
        {
            throw new SqliteException($"Reading gallery database '{Path}' failed: {SQLitePCL.raw.sqlite3_errmsg(db).utf8_to_string()}", status);
        }
    }

    /// <summary>One row of <see cref="ScanAll"/>; the span is valid only during the call.</summary>
    public delegate void RowVisitor(long id, int? cameraId, DateTimeOffset? capturedAt, string? label, ReadOnlySpan<float> embedding);

    /// <summary>
    /// Deletes, in one transaction, at most <paramref name="limit"/> rows (through the column's index) whose
    /// <paramref name="column"/> (captured_at or created_at) is before <paramref name="before"/>; returns their ids.
    /// Rows without a value in the column are never deleted.
    /// </summary>
    public long[] DeleteBefore(GalleryTimeColumn column, DateTimeOffset before, int limit)
    {
        string name = column == GalleryTimeColumn.CapturedAt ? "captured_at" : "created_at";
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText =
            // No ORDER BY: with one, SQLite walks the table in id order (reading every row, 2 KB each) instead of the
            // range of the time index; a no-op retention pass over 100,000 items took 14 s under the write lock.
            $"DELETE FROM items WHERE id IN (SELECT id FROM items INDEXED BY items_{name} WHERE {name} < $before LIMIT $limit) RETURNING id";
        command.Parameters.AddWithValue("$before", before.UtcTicks);
        command.Parameters.AddWithValue("$limit", limit);
        var ids = new List<long>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }

        return [.. ids];
    }

    /// <summary>The model fingerprint recorded in the meta table, or null.</summary>
    public string? StoredEmbeddingModel()
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key = 'embedding_model'";
        return command.ExecuteScalar() as string;
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

        return GalleryPage.FromOverfetch(items, total, limit);
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
            long id = reader.GetInt64(0);
            yield return (id, ReadEmbedding(reader, 1, id));
        }
    }

    /// <summary>Releases pooled connections so the file can be reopened, moved or deleted.</summary>
    public void ClearPool()
    {
        using var connection = new SqliteConnection(connectionString);
        SqliteConnection.ClearPool(connection);
    }

    /// <summary>WHERE clause (with leading space, or empty) for a filter; adds its parameters to the command.</summary>
    internal static string Where(GalleryFilter? filter, SqliteCommand command) => GalleryFilterSql.Sqlite.Where(filter, command);

    private static GalleryItem ReadItem(SqliteDataReader reader) => new(
        reader.GetInt64(0),
        reader.IsDBNull(1) ? null : reader.GetString(1),
        reader.IsDBNull(2) ? null : reader.GetInt32(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        ToUtc(reader.IsDBNull(4) ? null : reader.GetInt64(4)),
        ToUtc(reader.GetInt64(5))!.Value,
        reader.IsDBNull(6) ? null : reader.GetString(6),
        reader.GetInt64(7) != 0);

    /// <exception cref="InvalidDataException">The stored value is not D float32 values (a damaged or foreign row).</exception>
    private float[] ReadEmbedding(SqliteDataReader reader, int ordinal, long id)
    {
        byte[] bytes = reader.IsDBNull(ordinal) ? [] : reader.GetFieldValue<byte[]>(ordinal);
        if (bytes.Length != dimension * sizeof(float))
        {
            throw new InvalidDataException(
                $"Gallery database '{Path}': the embedding of item id {id} has {bytes.Length} bytes; " +
                $"{dimension}-dimensional float32 embeddings have {dimension * sizeof(float)}. The row is damaged.");
        }

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
                CREATE TABLE IF NOT EXISTS item_images (
                    item_id INTEGER PRIMARY KEY,
                    media_type TEXT NOT NULL,
                    bytes BLOB NOT NULL);
                CREATE TRIGGER IF NOT EXISTS items_delete_image AFTER DELETE ON items
                    BEGIN DELETE FROM item_images WHERE item_id = old.id; END;
                """;
            schema.ExecuteNonQuery();
        }

        // Tables of these names made by something else: refuse before any statement trips over a missing column.
        RequireColumns(connection, transaction, "meta", ["key", "value"]);
        RequireColumns(connection, transaction, "items", ItemsTableColumns);
        RequireColumns(connection, transaction, "item_images", ["item_id", "media_type", "bytes"]);
        using (var indexes = connection.CreateCommand())
        {
            indexes.Transaction = transaction;
            indexes.CommandText = """
                CREATE INDEX IF NOT EXISTS items_camera_id ON items (camera_id);
                CREATE INDEX IF NOT EXISTS items_captured_at ON items (captured_at);
                CREATE INDEX IF NOT EXISTS items_created_at ON items (created_at);
                CREATE INDEX IF NOT EXISTS items_label ON items (label);
                """;
            indexes.ExecuteNonQuery();
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

    /// <exception cref="InvalidDataException">The table lacks one of <paramref name="required"/>.</exception>
    private void RequireColumns(SqliteConnection connection, SqliteTransaction transaction, string table, string[] required)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT name FROM pragma_table_info($table)";
        command.Parameters.AddWithValue("$table", table);
        var columns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                columns.Add(reader.GetString(0));
            }
        }

        string[] missing = [.. required.Where(column => !columns.Contains(column))];
        if (missing.Length > 0)
        {
            throw new InvalidDataException(
                $"Gallery database '{Path}' has a '{table}' table without the column(s) {string.Join(", ", missing)}: " +
                $"it is not a SanReid gallery (schema version {SchemaVersion}). Use another database file.");
        }
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
