using System.Diagnostics;
using Npgsql;

namespace SanReid.Index.Tests;

/// <summary>Two or more stores (replicas) over one PostgreSQL gallery stay in step through its change feed.</summary>
public sealed class GalleryReplicationTests
{
    private const int D = 32;
    private readonly string schema = PostgreSqlCluster.NewSchema("repl");

    [Fact]
    public void AnItemAddedOrDeletedThroughOneReplicaIsSearchableOrGoneOnTheOtherWithinASecond()
    {
        using GalleryStore a = Open();
        using GalleryStore b = Open();
        float[] vector = TestVectors.RandomUnit(1, D, seed: 1);

        var clock = Stopwatch.StartNew();
        long id = a.Add([new NewGalleryItem(vector, "ext-1", 4, "alice")])[0].Id;
        Eventually(() => b.Search(vector, 1) is [{ Item.Id: var found }] && found == id);
        double visibleMs = clock.Elapsed.TotalMilliseconds;

        GalleryMatch match = b.Search(vector, 1)[0];
        Assert.Equal("ext-1", match.Item.ExternalId); // metadata travels with the item
        Assert.Equal(4, match.Item.CameraId);
        Assert.True(visibleMs < 1000, $"visible on the other replica after {visibleMs:F0} ms");

        clock.Restart();
        Assert.True(a.Delete(id));
        Eventually(() => b.Count == 0 && b.Search(vector, 5).Count == 0);
        Assert.True(clock.Elapsed.TotalMilliseconds < 1000, $"gone on the other replica after {clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public void AnImageAddedThroughOneReplicaIsServedByTheOtherOnceItKnowsTheItemAndGoesWithIt()
    {
        using GalleryStore a = Open();
        using GalleryStore b = Open();
        float[] vector = TestVectors.RandomUnit(1, D, seed: 5);
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 0xFF, 0xD9];

        long id = a.Add([new NewGalleryItem(vector, Image: new GalleryImage(jpeg))])[0].Id;
        Eventually(() => b.Contains(id));

        Assert.True(b.Search(vector, 1)[0].Item.HasImage); // the feed carries whether it has one
        Assert.Equal(jpeg, b.GetImage(id)!.Bytes);
        Assert.True(b.Delete(id));
        Eventually(() => !a.Contains(id));
        Assert.Null(a.GetImage(id));
    }

    [Fact]
    public void ExternalIdUniquenessHoldsAcrossReplicas()
    {
        using GalleryStore a = Open();
        using GalleryStore b = Open();
        float[] data = TestVectors.RandomUnit(2, D, seed: 2);
        a.Add([new NewGalleryItem(data[..D], "camera-7/track-1")]);

        // b has not necessarily heard of a's item yet: the database refuses the second one all the same.
        var error = Assert.Throws<DuplicateExternalIdException>(() => b.Add([new NewGalleryItem(data[D..], "camera-7/track-1")]));

        Assert.Equal("camera-7/track-1", error.ExternalId);
        Eventually(() => b.Count == 1);
        Assert.Equal(1, a.Count);
    }

    [Fact]
    public void WritesThroughBothReplicasAtOnceLeaveBothWithExactlyTheDatabaseItems()
    {
        using GalleryStore a = Open();
        using GalleryStore b = Open();
        var ids = new System.Collections.Concurrent.ConcurrentBag<long>();

        Parallel.For(0, 40, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            GalleryStore through = i % 2 == 0 ? a : b;
            float[] data = TestVectors.RandomUnit(5, D, seed: 100 + i);
            foreach (GalleryItem item in through.Add([.. Enumerable.Range(0, 5).Select(j => new NewGalleryItem(data[(j * D)..((j + 1) * D)]))]))
            {
                ids.Add(item.Id);
            }

            if (i % 5 == 0)
            {
                // Delete through the other replica an item it may not have heard of yet.
                (i % 2 == 0 ? b : a).Delete(ids.Min());
            }
        });

        long[] expected = DatabaseIds();
        Eventually(() => a.Count == expected.Length && b.Count == expected.Length);
        Assert.Equal(expected, AllIds(a));
        Assert.Equal(expected, AllIds(b));
        Assert.InRange(expected.Length, 200 - 8, 200 - 1); // 200 added, up to 8 distinct deletions
    }

    [Fact]
    public void ANewReplicaLoadsTheStoreAndFollowsChangesMadeAfterwards()
    {
        using GalleryStore a = Open();
        long[] first = [.. a.Add([.. Enumerable.Range(0, 30).Select(i => new NewGalleryItem(TestVectors.RandomUnit(1, D, seed: 200 + i)))]).Select(i => i.Id)];
        a.Delete(first[0]);

        using GalleryStore b = Open();
        Assert.Equal(29, b.Count);
        long late = a.Add([new NewGalleryItem(TestVectors.RandomUnit(1, D, seed: 300))])[0].Id;
        a.Delete(first[1]);

        Eventually(() => b.Count == 29);
        Assert.Equal(DatabaseIds(), AllIds(b));
        Assert.Contains(late, AllIds(b));
        Assert.True(b.Replication!.Connected);
        Assert.True(b.Replication.AppliedSequence >= 33, $"applied {b.Replication.AppliedSequence}"); // 30 + 1 adds, 2 deletes
    }

    [Fact]
    public void ABadConnectionStringFailsWithoutRepeatingThePassword()
    {
        const string secret = "hunter2-very-secret";
        var unparsable = Assert.Throws<ArgumentException>(() => GalleryStore.Open(Options($"Host=127.0.0.1;Password={secret};Colour=blue")));
        var wrongPassword = Assert.Throws<ArgumentException>(() => GalleryStore.Open(Options(
            PostgreSqlCluster.Shared.ConnectionString().Replace(PostgreSqlCluster.Password, secret, StringComparison.Ordinal))));
        var noServer = Assert.Throws<GalleryUnavailableException>(() => GalleryStore.Open(Options(
            $"Host=127.0.0.1;Port=1;Username=x;Password={secret};Timeout=2")));

        Assert.Contains("colour", unparsable.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("28P01", wrongPassword.Message); // invalid_password
        Assert.Contains("127.0.0.1:1", noServer.Message);
        Assert.All(new Exception[] { unparsable, wrongPassword, noServer }, e => Assert.DoesNotContain(secret, e.ToString()));
    }

    private GalleryStore Open() => GalleryStore.Open(Options(PostgreSqlCluster.Shared.ConnectionString(schema)));

    private static GalleryStoreOptions Options(string connectionString) => new()
    {
        DatabasePath = "replicas",
        Dimension = D,
        PostgreSql = new PostgreSqlGalleryOptions { ConnectionString = connectionString },
    };

    private long[] DatabaseIds()
    {
        using var connection = new NpgsqlConnection(PostgreSqlCluster.Shared.ConnectionString(schema));
        connection.Open();
        using var command = new NpgsqlCommand("SELECT id FROM items ORDER BY id", connection);
        using NpgsqlDataReader reader = command.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }

        return [.. ids];
    }

    /// <summary>Every id the store returns for an exhaustive search, ascending; a duplicate would show as a repeat.</summary>
    internal static long[] AllIds(GalleryStore store) =>
        [.. store.Search(TestVectors.RandomUnit(1, D, seed: 999), (int)Math.Max(1, store.Count) + 10).Select(m => m.Item.Id).Order()];

    internal static void Eventually(Func<bool> condition, int timeoutMs = 10_000, Func<string>? state = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.ElapsedMilliseconds < timeoutMs, $"condition not met after {timeoutMs} ms {state?.Invoke()}");
            Thread.Sleep(5);
        }
    }
}

/// <summary>Replicas over a database that goes away and comes back (a cluster of their own, stopped and restarted).</summary>
public sealed class GalleryReplicaOutageTests : IClassFixture<GalleryReplicaOutageTests.OwnCluster>
{
    private const int D = 32;
    private readonly PostgreSqlCluster cluster;
    private readonly string schema = PostgreSqlCluster.NewSchema("outage");

    public GalleryReplicaOutageTests(OwnCluster own) => cluster = own.Cluster;

    [Fact]
    public void WhileTheDatabaseIsDownWritesFailFastSearchesAnswerAndTheReplicaReconnectsByItself()
    {
        using GalleryStore a = Open();
        using GalleryStore b = Open();
        float[] data = TestVectors.RandomUnit(3, D, seed: 1);
        long id = a.Add([new NewGalleryItem(data[..D], "before")])[0].Id;
        GalleryReplicationTests.Eventually(() => b.Count == 1);

        cluster.StopServer();
        try
        {
            var clock = Stopwatch.StartNew();
            var write = Assert.Throws<GalleryUnavailableException>(() => b.Add([new NewGalleryItem(data[D..(2 * D)], "during")]));
            Assert.True(clock.ElapsedMilliseconds < 6_000, $"the refused write took {clock.ElapsedMilliseconds} ms");
            Assert.True(write.RetryAfterSeconds >= 1);
            Assert.Throws<GalleryUnavailableException>(() => a.Delete(id));

            // Searches answer from memory, with metadata.
            Assert.Equal("before", b.Search(data[..D], 1).Single().Item.ExternalId);
            GalleryReplicationTests.Eventually(() => b.Replication is { Connected: false, StaleSeconds: > 0.5 });
            Assert.NotNull(b.Replication!.LastError);
        }
        finally
        {
            cluster.StartServer();
        }

        // Reconnects by itself (retries at most every 2 s), then writes and the feed work again.
        GalleryReplicationTests.Eventually(() => a.Replication!.Connected && b.Replication!.Connected, 15_000, () => $"a: {a.Replication}, b: {b.Replication}");
        long after = b.Add([new NewGalleryItem(data[(2 * D)..], "after")])[0].Id;
        GalleryReplicationTests.Eventually(() => a.Count == 2);
        Assert.Equal([id, after], GalleryReplicationTests.AllIds(a));
        Assert.Equal(0, a.Replication!.StaleSeconds);
    }

    [Fact]
    public void AReplicaWhoseConnectionsAreCutCatchesUpWithEveryChangeOnce()
    {
        using GalleryStore a = Open();
        using GalleryStore b = Open();
        var added = new List<long>();
        for (int round = 0; round < 5; round++)
        {
            // Cut every other session (b's feed included) while a writes.
            using (var admin = new NpgsqlConnection(cluster.ConnectionString()))
            {
                admin.Open();
                using var cut = new NpgsqlCommand("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'", admin);
                cut.ExecuteNonQuery();
            }

            float[] data = TestVectors.RandomUnit(10, D, seed: 50 + round);
            IReadOnlyList<GalleryItem> items = Retry(() => a.Add([.. Enumerable.Range(0, 10).Select(j => new NewGalleryItem(data[(j * D)..((j + 1) * D)]))]));
            added.AddRange(items.Select(i => i.Id));
            Retry(() => a.Delete(added[round * 3]));
        }

        long[] expected = [.. added.Where((_, i) => i is not (0 or 3 or 6 or 9 or 12)).Order()];
        GalleryReplicationTests.Eventually(() => b.Count == expected.Length, 15_000);
        Assert.Equal(expected, GalleryReplicationTests.AllIds(b));
        Assert.Equal(expected, GalleryReplicationTests.AllIds(a));
    }

    private static T Retry<T>(Func<T> write)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return write();
            }
            catch (GalleryUnavailableException) when (attempt < 50)
            {
                // A pooled connection that was cut: the caller (a client on 503) tries again.
                Thread.Sleep(100);
            }
        }
    }

    private GalleryStore Open() => GalleryStore.Open(new GalleryStoreOptions
    {
        DatabasePath = "outage",
        Dimension = D,
        PostgreSql = new PostgreSqlGalleryOptions { ConnectionString = cluster.ConnectionString(schema) },
    });

    /// <summary>A cluster for this class alone: its tests stop it and cut its connections.</summary>
    public sealed class OwnCluster : IDisposable
    {
        public PostgreSqlCluster Cluster { get; } = PostgreSqlCluster.Start();

        public void Dispose() => Cluster.Dispose();
    }
}
