using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Npgsql;
using NpgsqlTypes;

namespace SanReid.Index;

/// <summary>
/// The durable layer in PostgreSQL, shared by any number of stores (replicas). Tables in the connection's schema:
/// <c>items</c> (as SQLite's: metadata, times as UTC ticks, embedding bytea of D float32 little-endian),
/// <c>item_images</c> (an item's encoded image, bytea stored uncompressed: JPEG does not compress; a foreign key deletes
/// it with its item), <c>meta</c> (schema version, dimension, model) and <c>changes</c> (seq, op 'a'/'d', item_id): one
/// row per added or deleted item, written in the same transaction as the item. Images are read from the database on
/// demand (<see cref="GetImage"/>), so a replica serves an image as soon as the item's transaction commits; the feed
/// carries only whether an item has one.
/// </summary>
/// <remarks>
/// <para>Every write transaction first takes one transaction-level advisory lock, so writers commit in the order of
/// their change sequence numbers: once a replica sees seq n, every change below n is committed (or rolled back and
/// never visible). A replica that has applied every change up to n therefore catches up with <c>seq &gt; n</c> and
/// misses nothing. Each write also sends a NOTIFY on <see cref="Channel"/> (delivered at commit) that wakes the
/// replicas' feeds (<see cref="GalleryChangeFeed"/>).</para>
/// <para>Uniqueness of external ids is the database's: a UNIQUE constraint, checked across all replicas.</para>
/// <para>Search metadata is answered from memory (<see cref="GetItems"/>), so searches need no database round trip and
/// go on while it is unreachable; Get and List read the database.</para>
/// </remarks>
internal sealed class PostgreSqlGalleryDatabase : IGalleryDatabase
{
    private const string SchemaVersion = "1";
    private const long WriteLockKey = 0x53616E5265696431; // "SanReid1"
    /// <summary>Item metadata, ordinals 0..7 (7: whether an image is stored); <see cref="ReadItem"/> reads them.</summary>
    private const string ItemColumns =
        "id, external_id, camera_id, label, captured_at, created_at, source_file_name, " +
        "EXISTS (SELECT 1 FROM item_images WHERE item_images.item_id = items.id)";

    private readonly NpgsqlDataSource dataSource;
    private readonly int dimension;
    private readonly int retryAfterSeconds;
    private readonly ConcurrentDictionary<long, GalleryItem> metadata = new();
    private long lastFailureTicks;

    private PostgreSqlGalleryDatabase(NpgsqlDataSource dataSource, string path, int dimension, int retryAfterSeconds)
    {
        this.dataSource = dataSource;
        Path = path;
        this.dimension = dimension;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public string Path { get; }

    /// <summary>The NOTIFY channel of this gallery ("sanreid:" + schema): replicas of other schemas stay asleep.</summary>
    public string Channel { get; private set; } = "sanreid:public";

    /// <summary>Connections for the change feed (a LISTEN connection of its own).</summary>
    internal NpgsqlDataSource DataSource => dataSource;

    /// <summary>Connects, creates the schema, tables and meta when missing, and checks dimension and model.</summary>
    /// <exception cref="ArgumentException">A connection string that does not parse; the server refuses the login or the
    /// database does not exist; or the database holds embeddings of another dimension.</exception>
    /// <exception cref="GalleryUnavailableException">The server cannot be reached (yet).</exception>
    /// <exception cref="GalleryModelMismatchException">The database holds embeddings of another model.</exception>
    /// <exception cref="InvalidDataException">Tables of these names that are not a gallery's, or another schema version.</exception>
    public static PostgreSqlGalleryDatabase Open(PostgreSqlGalleryOptions options, int dimension, string factory, string? embeddingModel)
    {
        NpgsqlConnectionStringBuilder builder = options.Parse();
        string path = $"postgresql://{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username ?? ""}" +
            (string.IsNullOrEmpty(builder.SearchPath) ? "" : $"?schema={builder.SearchPath}");
        var dataSourceBuilder = new NpgsqlDataSourceBuilder(builder.ConnectionString);
        var database = new PostgreSqlGalleryDatabase(dataSourceBuilder.Build(), path, dimension, options.RetryAfterSeconds);
        try
        {
            database.Initialise(builder.SearchPath, factory, embeddingModel);
            return database;
        }
        catch (PostgresException e) when (e.SqlState.StartsWith("28", StringComparison.Ordinal) || e.SqlState == "3D000")
        {
            // 28000/28P01: login refused; 3D000: no such database. Configuration, not an outage: retrying will not help.
            database.ClearPool();
            throw new ArgumentException($"PostgreSQL at {path} refused the gallery's connection: {e.SqlState} {e.MessageText}", e);
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            database.ClearPool();
            throw new GalleryUnavailableException($"The gallery database {path} cannot be reached: {Describe(e)}", options.RetryAfterSeconds, e);
        }
        catch
        {
            database.ClearPool();
            throw;
        }
    }

    /// <summary>True for failures of the connection or the server's availability (not of the statement or its input).</summary>
    internal static bool IsUnavailable(Exception e) => e switch
    {
        PostgresException p => p.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exceptions
            || p.SqlState is "57P01" or "57P02" or "57P03" // admin / crash shutdown, cannot connect now
            || p.SqlState.StartsWith("53", StringComparison.Ordinal), // insufficient resources (too many connections)
        NpgsqlException { IsTransient: true } => true,
        NpgsqlException { InnerException: SocketException or IOException or TimeoutException or EndOfStreamException } => true,
        SocketException or TimeoutException => true,
        InvalidOperationException when e.Message.Contains("connection", StringComparison.OrdinalIgnoreCase)
            && e.Message.Contains("broken", StringComparison.OrdinalIgnoreCase) => true,
        _ => false,
    };

    internal static string Describe(Exception e) => e is PostgresException p ? $"{p.SqlState} {p.MessageText}" : $"{e.GetType().Name}: {e.Message}";

    public long ScanAll(GalleryDatabase.RowVisitor row) => Guard(() =>
    {
        using NpgsqlConnection connection = dataSource.OpenConnection();
        // One snapshot for the sequence and the rows: the rows are exactly the changes up to `sequence`.
        using NpgsqlTransaction transaction = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        long sequence;
        using (var max = new NpgsqlCommand("SELECT coalesce(max(seq), 0) FROM changes", connection, transaction))
        {
            sequence = (long)max.ExecuteScalar()!;
        }

        metadata.Clear();
        using var command = new NpgsqlCommand($"SELECT {ItemColumns}, embedding FROM items ORDER BY id", connection, transaction);
        using NpgsqlDataReader reader = command.ExecuteReader();
        var buffer = new byte[dimension * sizeof(float)];
        while (reader.Read())
        {
            GalleryItem item = ReadItem(reader);
            long length = reader.IsDBNull(8) ? 0 : reader.GetBytes(8, 0, null, 0, 0);
            if (length != buffer.Length)
            {
                throw DamagedRow(item.Id, length);
            }

            reader.GetBytes(8, 0, buffer, 0, buffer.Length);
            metadata[item.Id] = item;
            row(item.Id, item.CameraId, item.CapturedAt, item.Label, MemoryMarshal.Cast<byte, float>(buffer));
        }

        return sequence;
    });

    public IReadOnlyList<GalleryItem> Insert(
        IReadOnlyList<NewGalleryItem> items, float[] vectors, DateTimeOffset createdAt, Action<long[]> beforeCommit)
    {
        GalleryItem[] stored = Guard(() =>
        {
            using NpgsqlConnection connection = dataSource.OpenConnection();
            using NpgsqlTransaction transaction = connection.BeginTransaction();
            TakeWriteLock(connection, transaction);
            string[] externalIds = [.. items.Select(i => i.ExternalId).OfType<string>()];
            if (externalIds.Length > 0)
            {
                // Under the write lock no other replica inserts meanwhile: the name of the taken id, for the 409.
                using var taken = new NpgsqlCommand("SELECT external_id FROM items WHERE external_id = ANY(@ids) LIMIT 1", connection, transaction);
                taken.Parameters.AddWithValue("ids", externalIds);
                if (taken.ExecuteScalar() is string duplicate)
                {
                    throw new DuplicateExternalIdException(duplicate);
                }
            }

            var ids = new long[items.Count];
            using (var next = new NpgsqlCommand(
                "SELECT nextval(pg_get_serial_sequence('items', 'id')) FROM generate_series(1, @n)", connection, transaction))
            {
                next.Parameters.AddWithValue("n", items.Count);
                using NpgsqlDataReader reader = next.ExecuteReader();
                for (int i = 0; reader.Read(); i++)
                {
                    ids[i] = reader.GetInt64(0);
                }
            }

            Array.Sort(ids);
            var embeddings = new byte[items.Count][];
            for (int i = 0; i < items.Count; i++)
            {
                embeddings[i] = MemoryMarshal.AsBytes(vectors.AsSpan(i * dimension, dimension)).ToArray();
            }

            using (var insert = new NpgsqlCommand(
                "INSERT INTO items (id, external_id, camera_id, label, captured_at, created_at, source_file_name, embedding) " +
                "SELECT u.id, u.external_id, u.camera_id, u.label, u.captured_at, @created_at, u.source_file_name, u.embedding " +
                "FROM unnest(@id, @external_id, @camera_id, @label, @captured_at, @source_file_name, @embedding) " +
                "AS u(id, external_id, camera_id, label, captured_at, source_file_name, embedding)", connection, transaction))
            {
                insert.Parameters.AddWithValue("id", ids);
                insert.Parameters.Add(new NpgsqlParameter("external_id", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = items.Select(i => (object?)i.ExternalId ?? DBNull.Value).ToArray() });
                insert.Parameters.Add(new NpgsqlParameter("camera_id", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = items.Select(i => (object?)i.CameraId ?? DBNull.Value).ToArray() });
                insert.Parameters.Add(new NpgsqlParameter("label", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = items.Select(i => (object?)i.Label ?? DBNull.Value).ToArray() });
                insert.Parameters.Add(new NpgsqlParameter("captured_at", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = items.Select(i => (object?)i.CapturedAt?.UtcTicks ?? DBNull.Value).ToArray() });
                insert.Parameters.AddWithValue("created_at", createdAt.UtcTicks);
                insert.Parameters.Add(new NpgsqlParameter("source_file_name", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = items.Select(i => (object?)i.SourceFileName ?? DBNull.Value).ToArray() });
                insert.Parameters.AddWithValue("embedding", embeddings);
                try
                {
                    insert.ExecuteNonQuery();
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
                {
                    // Only reachable if a writer bypassed the advisory lock: still refused by the constraint.
                    throw new DuplicateExternalIdException(items.FirstOrDefault(i => i.ExternalId is not null)?.ExternalId ?? "");
                }
            }

            InsertImages(connection, transaction, items, ids);
            RecordChanges(connection, transaction, 'a', ids);
            beforeCommit(ids);
            transaction.Commit();
            var result = new GalleryItem[items.Count];
            for (int i = 0; i < items.Count; i++)
            {
                NewGalleryItem item = items[i];
                result[i] = new GalleryItem(ids[i], item.ExternalId, item.CameraId, item.Label, ToUtc(item.CapturedAt?.UtcTicks),
                    new DateTimeOffset(createdAt.UtcTicks, TimeSpan.Zero), item.SourceFileName, item.Image is not null);
            }

            return result;
        });

        foreach (GalleryItem item in stored)
        {
            metadata[item.Id] = item;
        }

        return stored;
    }

    public bool Delete(long id)
    {
        bool deleted = Guard(() =>
        {
            using NpgsqlConnection connection = dataSource.OpenConnection();
            using NpgsqlTransaction transaction = connection.BeginTransaction();
            TakeWriteLock(connection, transaction);
            using var command = new NpgsqlCommand("DELETE FROM items WHERE id = @id", connection, transaction);
            command.Parameters.AddWithValue("id", id);
            if (command.ExecuteNonQuery() == 0)
            {
                return false;
            }

            RecordChanges(connection, transaction, 'd', [id]);
            transaction.Commit();
            return true;
        });
        metadata.TryRemove(id, out _);
        return deleted;
    }

    public long[] DeleteBefore(GalleryTimeColumn column, DateTimeOffset before, int limit)
    {
        string name = column == GalleryTimeColumn.CapturedAt ? "captured_at" : "created_at";
        long[] ids = Guard(() =>
        {
            using NpgsqlConnection connection = dataSource.OpenConnection();
            using NpgsqlTransaction transaction = connection.BeginTransaction();
            TakeWriteLock(connection, transaction);
            using var command = new NpgsqlCommand(
                $"DELETE FROM items WHERE id IN (SELECT id FROM items WHERE {name} < @before LIMIT @limit) RETURNING id", connection, transaction);
            command.Parameters.AddWithValue("before", before.UtcTicks);
            command.Parameters.AddWithValue("limit", limit);
            var deleted = new List<long>();
            using (NpgsqlDataReader reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    deleted.Add(reader.GetInt64(0));
                }
            }

            deleted.Sort();
            if (deleted.Count > 0)
            {
                RecordChanges(connection, transaction, 'd', [.. deleted]);
            }

            transaction.Commit();
            return deleted.ToArray();
        });
        Forget(ids);
        return ids;
    }

    public GalleryItem? Get(long id) => Guard(() =>
    {
        using NpgsqlConnection connection = dataSource.OpenConnection();
        using var command = new NpgsqlCommand($"SELECT {ItemColumns} FROM items WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", id);
        using NpgsqlDataReader reader = command.ExecuteReader();
        return reader.Read() ? ReadItem(reader) : null;
    });

    public GalleryImage? GetImage(long id) => Guard(() =>
    {
        using NpgsqlConnection connection = dataSource.OpenConnection();
        using var command = new NpgsqlCommand("SELECT bytes, media_type FROM item_images WHERE item_id = @id", connection);
        command.Parameters.AddWithValue("id", id);
        using NpgsqlDataReader reader = command.ExecuteReader();
        return reader.Read() ? new GalleryImage(reader.GetFieldValue<byte[]>(0), reader.GetString(1)) : null;
    });

    private static void InsertImages(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<NewGalleryItem> items, long[] ids)
    {
        int[] with = [.. Enumerable.Range(0, items.Count).Where(i => items[i].Image is not null)];
        if (with.Length == 0)
        {
            return;
        }

        using var insert = new NpgsqlCommand(
            "INSERT INTO item_images (item_id, media_type, bytes) SELECT * FROM unnest(@id, @media_type, @bytes)", connection, transaction);
        insert.Parameters.AddWithValue("id", with.Select(i => ids[i]).ToArray());
        insert.Parameters.AddWithValue("media_type", with.Select(i => items[i].Image!.MediaType).ToArray());
        insert.Parameters.AddWithValue("bytes", with.Select(i => items[i].Image!.Bytes).ToArray());
        insert.ExecuteNonQuery();
    }

    /// <summary>From memory (loaded at open, kept by this store's writes and its change feed): searches need no round
    /// trip and keep answering while the database is unreachable.</summary>
    public Dictionary<long, GalleryItem> GetItems(IReadOnlyCollection<long> ids)
    {
        var result = new Dictionary<long, GalleryItem>(ids.Count);
        foreach (long id in ids)
        {
            if (metadata.TryGetValue(id, out GalleryItem? item))
            {
                result[id] = item;
            }
        }

        return result;
    }

    public GalleryPage List(GalleryFilter? filter, long afterId, int limit) => Guard(() =>
    {
        using NpgsqlConnection connection = dataSource.OpenConnection();
        using var count = new NpgsqlCommand { Connection = connection };
        string where = Where(filter, count);
        count.CommandText = $"SELECT COUNT(*) FROM items{where}";
        long total = (long)count.ExecuteScalar()!;

        using var page = new NpgsqlCommand { Connection = connection };
        string pageWhere = Where(filter, page);
        page.CommandText = $"SELECT {ItemColumns} FROM items{pageWhere}{(pageWhere.Length == 0 ? " WHERE" : " AND")} id > @after ORDER BY id LIMIT @limit";
        page.Parameters.AddWithValue("after", afterId);
        page.Parameters.AddWithValue("limit", limit + 1);
        var items = new List<GalleryItem>(limit + 1);
        using (NpgsqlDataReader reader = page.ExecuteReader())
        {
            while (reader.Read())
            {
                items.Add(ReadItem(reader));
            }
        }

        return GalleryPage.FromOverfetch(items, total, limit);
    });

    public string? StoredEmbeddingModel() => Guard(() =>
    {
        using NpgsqlConnection connection = dataSource.OpenConnection();
        using var command = new NpgsqlCommand("SELECT value FROM meta WHERE key = 'embedding_model'", connection);
        return command.ExecuteScalar() as string;
    });

    public void ClearPool() => dataSource.Dispose();

    /// <summary>Changes after <paramref name="after"/> in sequence order, at most <paramref name="limit"/>.</summary>
    internal static List<GalleryChange> ReadChanges(NpgsqlConnection connection, long after, int limit)
    {
        using var command = new NpgsqlCommand("SELECT seq, op, item_id FROM changes WHERE seq > @after ORDER BY seq LIMIT @limit", connection);
        command.Parameters.AddWithValue("after", after);
        command.Parameters.AddWithValue("limit", limit);
        var changes = new List<GalleryChange>();
        using NpgsqlDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            changes.Add(new GalleryChange(reader.GetInt64(0), reader.GetChar(1) == 'a', reader.GetInt64(2)));
        }

        return changes;
    }

    /// <summary>Items (with embeddings) of the given ids that still exist.</summary>
    /// <exception cref="InvalidDataException">A stored embedding is not D float32 values.</exception>
    internal Dictionary<long, (GalleryItem Item, float[] Embedding)> ReadItems(NpgsqlConnection connection, long[] ids)
    {
        var result = new Dictionary<long, (GalleryItem, float[])>(ids.Length);
        if (ids.Length == 0)
        {
            return result;
        }

        using var command = new NpgsqlCommand($"SELECT {ItemColumns}, embedding FROM items WHERE id = ANY(@ids)", connection);
        command.Parameters.AddWithValue("ids", ids);
        using NpgsqlDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            GalleryItem item = ReadItem(reader);
            byte[] bytes = reader.IsDBNull(8) ? [] : reader.GetFieldValue<byte[]>(8);
            if (bytes.Length != dimension * sizeof(float))
            {
                throw DamagedRow(item.Id, bytes.Length);
            }

            result[item.Id] = (item, MemoryMarshal.Cast<byte, float>(bytes).ToArray());
        }

        return result;
    }

    /// <summary>Keeps the search metadata of items another replica added (before they enter the index).</summary>
    internal void Remember(GalleryItem item) => metadata[item.Id] = item;

    /// <summary>Drops the search metadata of deleted items (after they left the index).</summary>
    internal void Forget(IEnumerable<long> ids)
    {
        foreach (long id in ids)
        {
            metadata.TryRemove(id, out _);
        }
    }

    /// <summary>The feed reached the database: calls stop failing fast.</summary>
    internal void MarkReachable() => Interlocked.Exchange(ref lastFailureTicks, 0);

    /// <summary>
    /// Runs a database call; a failure of the connection becomes <see cref="GalleryUnavailableException"/>. Within a
    /// second of such a failure calls fail at once instead of waiting for another connection attempt under the store's
    /// write lock (which searches would queue behind); the change feed's reconnection lifts that early.
    /// </summary>
    private T Guard<T>(Func<T> call)
    {
        long failed = Interlocked.Read(ref lastFailureTicks);
        if (failed != 0 && Environment.TickCount64 - failed < 1000)
        {
            throw new GalleryUnavailableException($"The gallery database {Path} cannot be reached (failed moments ago); retry shortly.", retryAfterSeconds);
        }

        try
        {
            return call();
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            Interlocked.Exchange(ref lastFailureTicks, Math.Max(1, Environment.TickCount64));
            // Pooled connections are not checked when handed out: after a restart of the server every idle one is
            // dead. Drop them, so the next call connects afresh.
            dataSource.Clear();
            throw new GalleryUnavailableException($"The gallery database {Path} cannot be reached: {Describe(e)}", retryAfterSeconds, e);
        }
    }

    private static void TakeWriteLock(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        // Held to the end of the transaction (released after the commit is visible): commits follow sequence order.
        using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction);
        command.Parameters.AddWithValue("key", WriteLockKey);
        command.ExecuteNonQuery();
    }

    private void RecordChanges(NpgsqlConnection connection, NpgsqlTransaction transaction, char op, long[] ids)
    {
        using var command = new NpgsqlCommand(
            "INSERT INTO changes (op, item_id) SELECT @op, u.id FROM unnest(@ids) WITH ORDINALITY AS u(id, n) ORDER BY u.n; " +
            "SELECT pg_notify(@channel, '')", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter("op", NpgsqlDbType.InternalChar) { Value = op });
        command.Parameters.AddWithValue("ids", ids);
        command.Parameters.AddWithValue("channel", Channel);
        command.ExecuteNonQuery();
    }

    /// <summary>WHERE clause (with leading space, or empty) for a filter, same rules as SQLite's.</summary>
    private static string Where(GalleryFilter? filter, NpgsqlCommand command) => GalleryFilterSql.PostgreSql.Where(filter, command);

    private static GalleryItem ReadItem(NpgsqlDataReader reader) => new(
        reader.GetInt64(0),
        reader.IsDBNull(1) ? null : reader.GetString(1),
        reader.IsDBNull(2) ? null : reader.GetInt32(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        ToUtc(reader.IsDBNull(4) ? null : reader.GetInt64(4)),
        ToUtc(reader.GetInt64(5))!.Value,
        reader.IsDBNull(6) ? null : reader.GetString(6),
        reader.GetBoolean(7));

    private static DateTimeOffset? ToUtc(long? ticks) => ticks is { } t ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    private InvalidDataException DamagedRow(long id, long length) => new(
        $"Gallery database '{Path}': the embedding of item id {id} has {length} bytes; " +
        $"{dimension}-dimensional float32 embeddings have {dimension * sizeof(float)}. The row is damaged.");

    private void Initialise(string? searchPath, string factory, string? embeddingModel)
    {
        using NpgsqlConnection connection = dataSource.OpenConnection();
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        // Replicas starting together: one creates the tables, the others wait and find them.
        TakeWriteLock(connection, transaction);
        string? schema = searchPath?.Split(',')[0].Trim().Trim('"');
        if (!string.IsNullOrEmpty(schema) && schema != "$user")
        {
            Execute(connection, transaction, $"CREATE SCHEMA IF NOT EXISTS \"{schema.Replace("\"", "\"\"", StringComparison.Ordinal)}\"");
        }

        Execute(connection, transaction, """
            CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text NOT NULL);
            CREATE TABLE IF NOT EXISTS items (
                id bigserial PRIMARY KEY,
                external_id text UNIQUE,
                camera_id integer,
                label text,
                captured_at bigint,
                created_at bigint NOT NULL,
                source_file_name text,
                embedding bytea NOT NULL);
            CREATE TABLE IF NOT EXISTS changes (
                seq bigserial PRIMARY KEY,
                op "char" NOT NULL CHECK (op IN ('a', 'd')),
                item_id bigint NOT NULL,
                at timestamptz NOT NULL DEFAULT now());
            CREATE TABLE IF NOT EXISTS item_images (
                item_id bigint PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
                media_type text NOT NULL,
                bytes bytea NOT NULL);
            ALTER TABLE item_images ALTER COLUMN bytes SET STORAGE EXTERNAL;
            CREATE INDEX IF NOT EXISTS items_camera_id ON items (camera_id);
            CREATE INDEX IF NOT EXISTS items_captured_at ON items (captured_at);
            CREATE INDEX IF NOT EXISTS items_created_at ON items (created_at);
            CREATE INDEX IF NOT EXISTS items_label ON items (label);
            """);
        RequireColumns(connection, transaction, "items", ["id", "external_id", "camera_id", "label", "captured_at", "created_at", "source_file_name", "embedding"]);
        RequireColumns(connection, transaction, "changes", ["seq", "op", "item_id"]);
        RequireColumns(connection, transaction, "item_images", ["item_id", "media_type", "bytes"]);
        RequireColumns(connection, transaction, "meta", ["key", "value"]);
        using (var current = new NpgsqlCommand("SELECT current_schema()", connection, transaction))
        {
            string name = "sanreid:" + (current.ExecuteScalar() as string ?? "public");
            // Channel names are identifiers: at most 63 bytes.
            Channel = System.Text.Encoding.UTF8.GetByteCount(name) <= 63
                ? name
                : "sanreid:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..32];
        }

        var meta = new Dictionary<string, string>();
        using (var read = new NpgsqlCommand("SELECT key, value FROM meta", connection, transaction))
        using (NpgsqlDataReader reader = read.ExecuteReader())
        {
            while (reader.Read())
            {
                meta[reader.GetString(0)] = reader.GetString(1);
            }
        }

        if (meta.TryGetValue("schema_version", out string? version) && version != SchemaVersion)
        {
            throw new InvalidDataException($"Gallery database '{Path}' has schema version {version}; this build reads version {SchemaVersion}.");
        }

        string dimensionText = dimension.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (meta.TryGetValue("dimension", out string? stored) && stored != dimensionText)
        {
            throw new ArgumentException(
                $"Gallery database '{Path}' holds {stored}-dimensional embeddings; it was opened with Dimension = {dimension}. " +
                "Use the model that filled it, or another database (or schema).", "dimension");
        }

        if (embeddingModel is not null)
        {
            if (meta.TryGetValue("embedding_model", out string? storedModel) && storedModel != embeddingModel)
            {
                using var count = new NpgsqlCommand("SELECT COUNT(*) FROM items", connection, transaction);
                long items = (long)count.ExecuteScalar()!;
                if (items > 0)
                {
                    throw new GalleryModelMismatchException(Path, storedModel, embeddingModel, items);
                }
            }

            WriteMeta(connection, transaction, "embedding_model", embeddingModel);
        }

        WriteMeta(connection, transaction, "schema_version", SchemaVersion);
        WriteMeta(connection, transaction, "dimension", dimensionText);
        WriteMeta(connection, transaction, "index_factory", factory);
        transaction.Commit();
    }

    private void RequireColumns(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, string[] required)
    {
        using var command = new NpgsqlCommand(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @table",
            connection, transaction);
        command.Parameters.AddWithValue("table", table);
        var columns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (NpgsqlDataReader reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                columns.Add(reader.GetString(0));
            }
        }

        string[] missing = [.. required.Where(c => !columns.Contains(c))];
        if (missing.Length > 0)
        {
            throw new InvalidDataException(
                $"Gallery database '{Path}' has a '{table}' table without the column(s) {string.Join(", ", missing)}: " +
                $"it is not a SanReid gallery (schema version {SchemaVersion}). Use another database or schema.");
        }
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }

    private static void WriteMeta(NpgsqlConnection connection, NpgsqlTransaction transaction, string key, string value)
    {
        using var command = new NpgsqlCommand(
            "INSERT INTO meta (key, value) VALUES (@key, @value) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            connection, transaction);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("value", value);
        command.ExecuteNonQuery();
    }
}

/// <summary>One row of the change feed: item <see cref="ItemId"/> was added (or deleted) at sequence <see cref="Seq"/>.</summary>
internal readonly record struct GalleryChange(long Seq, bool Added, long ItemId);
