namespace SanReid.Index.Tests;

/// <summary>The store's behaviour, run against each durable backend: <see cref="SqliteGalleryStoreTests"/> and
/// <see cref="PostgreSqlGalleryStoreTests"/> (same tests, same expectations).</summary>
public abstract partial class GalleryStoreTests : IDisposable
{
    private const int D = 32;
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Options locating the gallery called <paramref name="name"/> (reopening the same name opens the same
    /// gallery) in the backend under test; Dimension D.</summary>
    protected abstract GalleryStoreOptions Locate(string name);

    public virtual void Dispose()
    {
    }

    [Fact]
    public void AddedItemsComeBackWithIdsMetadataAndEmbedding()
    {
        using GalleryStore store = Open();
        float[] embedding = TestVectors.RandomUnit(1, D, seed: 1);
        var captured = new DateTimeOffset(2026, 5, 6, 7, 8, 9, TimeSpan.FromHours(2));

        IReadOnlyList<GalleryItem> added = store.Add([new NewGalleryItem(embedding, "ext-1", 3, "alice", captured, "0001_c3s1_000151_00.jpg")]);
        GalleryItem? item = store.Get(added[0].Id);

        Assert.Equal(added[0], item);
        Assert.Equal("ext-1", item!.ExternalId);
        Assert.Equal(3, item.CameraId);
        Assert.Equal("alice", item.Label);
        Assert.Equal(captured, item.CapturedAt);
        Assert.Equal("0001_c3s1_000151_00.jpg", item.SourceFileName);
        Assert.Equal(embedding, store.GetEmbedding(added[0].Id));
        Assert.Equal(1, store.Count);
        Assert.Null(store.Get(added[0].Id + 1));
        Assert.Null(store.GetEmbedding(added[0].Id + 1));
    }

    [Theory]
    [InlineData("Flat")]
    [InlineData("HNSW16")]
    [InlineData("IVF8,Flat")]
    public void ReopenedStoreGivesTheSameSearchResults(string factory)
    {
        string path = "gallery.db";
        float[] queries = TestVectors.RandomUnit(10, D, seed: 2);
        var before = new List<IReadOnlyList<GalleryMatch>>();
        string activeBefore;
        using (GalleryStore store = Open(factory, path))
        {
            AddRandom(store, 600, seed: 3);
            activeBefore = store.ActiveIndexFactory;
            for (int q = 0; q < 10; q++)
            {
                before.Add(store.Search(queries.AsSpan(q * D, D), 10));
            }
        }

        using GalleryStore reopened = Open(factory, path);

        Assert.Equal(600, reopened.Count);
        Assert.Equal(activeBefore, reopened.ActiveIndexFactory);
        for (int q = 0; q < 10; q++)
        {
            Assert.Equal(before[q], reopened.Search(queries.AsSpan(q * D, D), 10));
        }
    }

    [Fact]
    public void FlatSearchEqualsBruteForceTopKWithExactScores()
    {
        using GalleryStore store = Open();
        (float[] data, long[] ids) = AddRandom(store, 1500, seed: 4);
        float[] query = TestVectors.RandomUnit(1, D, seed: 5);

        IReadOnlyList<GalleryMatch> matches = store.Search(query, 20);
        var expected = TestVectors.BruteForce(data, ids, D, query, 20);

        Assert.Equal(expected.Select(e => e.Id), matches.Select(m => m.Item.Id));
        Assert.All(matches.Zip(expected), p => Assert.Equal(p.Second.Score, p.First.Score, 1e-5f));
    }

    [Theory]
    [InlineData("Flat")]
    [InlineData("HNSW16")]
    [InlineData("IVF8,Flat")]
    public void CameraFiltersReturnExactlyTheBruteForceFilteredTopK(string factory)
    {
        using GalleryStore store = Open(factory);
        (float[] data, long[] ids) = AddRandom(store, 800, seed: 6);
        Dictionary<long, int?> camera = ids.ToDictionary(id => id, id => store.Get(id)!.CameraId);
        float[] query = TestVectors.RandomUnit(1, D, seed: 7);

        var include = store.Search(query, 15, new GalleryFilter { IncludeCameras = [2, 5] });
        var exclude = store.Search(query, 15, new GalleryFilter { ExcludeCameras = [1, 2, 3, 4] });

        Assert.Equal(
            TestVectors.BruteForce(data, ids, D, query, 15, id => camera[id] is 2 or 5).Select(e => e.Id),
            include.Select(m => m.Item.Id));
        Assert.Equal(
            TestVectors.BruteForce(data, ids, D, query, 15, id => camera[id] is not (1 or 2 or 3 or 4)).Select(e => e.Id),
            exclude.Select(m => m.Item.Id));
    }

    [Fact]
    public void RareCameraFilterOnHnswStillReturnsEveryQualifyingItem()
    {
        // 3 of 800 items carry camera 99: an HNSW walk cut by that filter finds few of them, so the store must
        // notice and score them exactly.
        using GalleryStore store = Open("HNSW16");
        float[] data = TestVectors.RandomUnit(800, D, seed: 8);
        var items = Enumerable.Range(0, 800)
            .Select(i => new NewGalleryItem(data.AsSpan(i * D, D).ToArray(), CameraId: i % 300 == 7 ? 99 : 1))
            .ToList();
        long[] ids = [.. store.Add(items).Select(i => i.Id)];
        float[] query = TestVectors.RandomUnit(1, D, seed: 9);

        var matches = store.Search(query, 10, new GalleryFilter { IncludeCameras = [99] });

        var expected = TestVectors.BruteForce(data, ids, D, query, 10, id => items[Array.IndexOf(ids, id)].CameraId == 99);
        Assert.Equal(3, matches.Count);
        Assert.Equal(expected.Select(e => e.Id), matches.Select(m => m.Item.Id));
    }

    [Fact]
    public void TimeWindowAndLabelFiltersReturnExactlyTheBruteForceFilteredTopK()
    {
        using GalleryStore store = Open();
        (float[] data, long[] ids) = AddRandom(store, 600, seed: 10);
        var items = ids.ToDictionary(id => id, id => store.Get(id)!);
        float[] query = TestVectors.RandomUnit(1, D, seed: 11);
        DateTimeOffset from = T0.AddHours(100), to = T0.AddHours(300);

        var window = store.Search(query, 12, new GalleryFilter { CapturedFrom = from, CapturedTo = to });
        var labelled = store.Search(query, 12, new GalleryFilter { Label = "p3", CapturedFrom = from });

        Assert.Equal(
            TestVectors.BruteForce(data, ids, D, query, 12, id => items[id].CapturedAt >= from && items[id].CapturedAt < to).Select(e => e.Id),
            window.Select(m => m.Item.Id));
        Assert.NotEmpty(labelled);
        Assert.Equal(
            TestVectors.BruteForce(data, ids, D, query, 12, id => items[id].Label == "p3" && items[id].CapturedAt >= from).Select(e => e.Id),
            labelled.Select(m => m.Item.Id));
    }

    [Fact]
    public void MinScoreKeepsExactlyTheBruteForceHitsAtOrAboveIt()
    {
        using GalleryStore store = Open();
        (float[] data, long[] ids) = AddRandom(store, 1000, seed: 12);
        float[] query = TestVectors.RandomUnit(1, D, seed: 13);
        var all = TestVectors.BruteForce(data, ids, D, query, 1000);
        float threshold = all[7].Score - 1e-4f * Math.Abs(all[7].Score - all[8].Score);

        var matches = store.Search(query, 50, minScore: threshold);

        Assert.Equal(all.Take(8).Select(e => e.Id), matches.Select(m => m.Item.Id));
        Assert.All(matches, m => Assert.True(m.Score >= threshold));
    }

    [Fact]
    public void KAboveCountReturnsTheWholeGalleryInDescendingOrder()
    {
        using GalleryStore store = Open();
        AddRandom(store, 9, seed: 14);

        var matches = store.Search(TestVectors.RandomUnit(1, D, seed: 15), 100);

        Assert.Equal(9, matches.Count);
        Assert.True(matches.Zip(matches.Skip(1)).All(p => p.First.Score >= p.Second.Score));
    }

    [Fact]
    public void LargeKReturnsEveryItemOnce()
    {
        using GalleryStore store = Open();
        AddRandom(store, 1200, seed: 31);

        var matches = store.Search(TestVectors.RandomUnit(1, D, seed: 32), 50_000);

        Assert.Equal(1200, matches.Count);
        Assert.Equal(1200, matches.Select(m => m.Item.Id).Distinct().Count());
    }

    [Fact]
    public void EmptyGallerySearchReturnsNothing()
    {
        using GalleryStore store = Open("IVF8,Flat");

        Assert.Empty(store.Search(TestVectors.RandomUnit(1, D, seed: 16), 5));
        Assert.Empty(store.Search(TestVectors.RandomUnit(1, D, seed: 16), 5, new GalleryFilter { IncludeCameras = [1] }));
    }

    [Theory]
    [InlineData("Flat")]
    [InlineData("HNSW16")]
    [InlineData("IVF8,Flat")]
    public void DeletedItemsNeverComeBackEvenAfterReopen(string factory)
    {
        string path = "gallery.db";
        long deleted;
        float[] embedding;
        using (GalleryStore store = Open(factory, path))
        {
            (float[] data, long[] ids) = AddRandom(store, 400, seed: 17);
            deleted = ids[10];
            embedding = data.AsSpan(10 * D, D).ToArray();
            Assert.Equal(deleted, store.Search(embedding, 1)[0].Item.Id);

            Assert.True(store.Delete(deleted));
            Assert.False(store.Delete(deleted));

            Assert.DoesNotContain(store.Search(embedding, 400), m => m.Item.Id == deleted);
            Assert.Equal(399, store.Search(embedding, 400).Count);
            Assert.Null(store.Get(deleted));
            Assert.Equal(399, store.Count);
        }

        using GalleryStore reopened = Open(factory, path);
        Assert.DoesNotContain(reopened.Search(embedding, 400), m => m.Item.Id == deleted);
        Assert.Equal(399, reopened.Count);
    }

    [Fact]
    public void HnswRebuildsAfterManyDeletesAndKeepsResultsRight()
    {
        using GalleryStore store = Open("HNSW16");
        (float[] data, long[] ids) = AddRandom(store, 200, seed: 18);
        for (int i = 0; i < 120; i++)
        {
            store.Delete(ids[i]);
        }

        float[] query = TestVectors.RandomUnit(1, D, seed: 19);
        var alive = ids.Skip(120).ToHashSet();
        var matches = store.Search(query, 80);

        Assert.Equal(80, matches.Count);
        Assert.Equal(alive.Order(), matches.Select(m => m.Item.Id).Order());
    }

    [Fact]
    public void DuplicateExternalIdThrowsAndStoresNothingOfTheBatch()
    {
        using GalleryStore store = Open();
        float[] data = TestVectors.RandomUnit(3, D, seed: 20);
        store.Add([new NewGalleryItem(data[..D], "taken")]);

        var error = Assert.Throws<DuplicateExternalIdException>(() => store.Add(
        [
            new NewGalleryItem(data[D..(2 * D)], "fresh"),
            new NewGalleryItem(data[(2 * D)..], "taken"),
        ]));

        Assert.Equal("taken", error.ExternalId);
        Assert.Equal(1, store.Count);
        Assert.Single(store.Search(data[D..(2 * D)], 10));
        Assert.DoesNotContain(store.List(new GalleryFilter()).Items, i => i.ExternalId == "fresh");
    }

    [Fact]
    public void DuplicateExternalIdInsideOneBatchThrowsAndStoresNothing()
    {
        using GalleryStore store = Open();
        float[] data = TestVectors.RandomUnit(2, D, seed: 21);

        Assert.Throws<DuplicateExternalIdException>(() => store.Add(
            [new NewGalleryItem(data[..D], "same"), new NewGalleryItem(data[D..], "same")]));

        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void WrongDimensionNonFiniteOrNonUnitEmbeddingThrowsArgumentException()
    {
        using GalleryStore store = Open();
        float[] nan = TestVectors.RandomUnit(1, D, seed: 22);
        nan[3] = float.NaN;

        Assert.Throws<ArgumentException>(() => store.Add([new NewGalleryItem(new float[D + 1])]));
        Assert.Throws<ArgumentException>(() => store.Add([new NewGalleryItem(nan)]));
        Assert.Throws<ArgumentException>(() => store.Add([new NewGalleryItem(Enumerable.Repeat(1f, D).ToArray())]));
        Assert.Throws<ArgumentException>(() => store.Search(new float[D - 1], 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.Search(TestVectors.RandomUnit(1, D, seed: 23), 0));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void ReopeningWithAnotherDimensionThrowsNamingBothDimensions()
    {
        string path = "gallery.db";
        using (GalleryStore store = Open("Flat", path))
        {
            AddRandom(store, 3, seed: 24);
        }

        var error = Assert.Throws<ArgumentException>(() => GalleryStore.Open(Locate(path) with { Dimension = 64 }));

        Assert.Contains("32", error.Message);
        Assert.Contains("64", error.Message);
    }

    [Fact]
    public void IvfStoreSearchesFlatUntilEnoughItemsThenTrainsIvf()
    {
        using GalleryStore store = Open("IVF4,Flat");
        AddRandom(store, 100, seed: 25);
        Assert.Equal("Flat", store.ActiveIndexFactory);

        (float[] data, long[] ids) = AddRandom(store, 100, seed: 26);
        Assert.Equal("IVF4,Flat", store.ActiveIndexFactory);

        float[] query = data.AsSpan(5 * D, D).ToArray();
        Assert.Equal(ids[5], store.Search(query, 1)[0].Item.Id);
        Assert.Equal(200, store.Search(query, 1000).Count);
    }

    [Fact]
    public void IvfPqStoreReturnsExactScoresOfTheItemsItFinds()
    {
        using GalleryStore store = Open("IVF4,PQ4x4");
        (float[] data, long[] ids) = AddRandom(store, 700, seed: 27);
        Assert.Equal("IVF4,PQ4x4", store.ActiveIndexFactory);
        float[] query = data.AsSpan(0, D).ToArray();

        var matches = store.Search(query, 5);

        Assert.Equal(5, matches.Count);
        Assert.Equal(ids[0], matches[0].Item.Id);
        Assert.Equal(1f, matches[0].Score, 1e-5f);
        foreach (GalleryMatch match in matches)
        {
            float exact = TestVectors.BruteForce(data, ids, D, query, 700).Single(e => e.Id == match.Item.Id).Score;
            Assert.Equal(exact, match.Score, 1e-5f);
        }
    }

    [Fact]
    public void ListPagesThroughFilteredItemsInIdOrder()
    {
        using GalleryStore store = Open();
        (_, long[] ids) = AddRandom(store, 50, seed: 28);
        var filter = new GalleryFilter { IncludeCameras = [1] };
        long[] expected = [.. ids.Where(id => store.Get(id)!.CameraId == 1)];

        var seen = new List<long>();
        long after = 0;
        GalleryPage page;
        do
        {
            page = store.List(filter, after, limit: 3);
            Assert.Equal(expected.Length, page.Total);
            seen.AddRange(page.Items.Select(i => i.Id));
            after = page.NextAfterId ?? -1;
        }
        while (page.NextAfterId is not null);

        Assert.Equal(expected, seen);
    }

    [Fact]
    public void ConcurrentSearchesAndAddsStayConsistent()
    {
        using GalleryStore store = Open();
        AddRandom(store, 300, seed: 29);
        float[] queries = TestVectors.RandomUnit(50, D, seed: 30);

        Parallel.For(0, 100, i =>
        {
            if (i % 10 == 0)
            {
                store.Add([new NewGalleryItem(TestVectors.RandomUnit(1, D, seed: 1000 + i))]);
            }
            else
            {
                var matches = store.Search(queries.AsSpan(i % 50 * D, D), 10);
                Assert.Equal(10, matches.Count);
            }
        });

        Assert.Equal(310, store.Count);
    }

    [Fact]
    public void ReopeningAFilledGalleryWithAnotherModelIsRefusedAndKeepsItsItems()
    {
        string path = "models.db";
        using (GalleryStore store = OpenWithModel(path, "model-a sha256:aaaa"))
        {
            AddRandom(store, 5, seed: 11);
        }

        var error = Assert.Throws<GalleryModelMismatchException>(() => OpenWithModel(path, "model-b sha256:bbbb"));

        Assert.Contains("model-a sha256:aaaa", error.Message);
        Assert.Contains("model-b sha256:bbbb", error.Message);
        using GalleryStore reopened = OpenWithModel(path, "model-a sha256:aaaa");
        Assert.Equal(5, reopened.Count);
    }

    [Fact]
    public void AnEmptyGalleryAdoptsANewModel()
    {
        string path = "empty-models.db";
        using (GalleryStore store = OpenWithModel(path, "model-a"))
        {
            long id = AddRandom(store, 1, seed: 12).Ids[0];
            Assert.True(store.Delete(id));
        }

        using (OpenWithModel(path, "model-b"))
        {
        }

        Assert.Throws<GalleryModelMismatchException>(() =>
        {
            using GalleryStore store = OpenWithModel(path, "model-b");
            AddRandom(store, 1, seed: 13);
            store.Dispose();
            OpenWithModel(path, "model-a").Dispose();
        });
    }

    [Fact]
    public void CameraFiltersWithTensOfThousandsOfCamerasWork()
    {
        using GalleryStore store = Open();
        (float[] data, long[] ids) = AddRandom(store, 60, seed: 31);
        int[] many = [.. Enumerable.Range(1, 40_000)];
        int[] allButThree = [.. many.Where(c => c != 3)];
        float[] query = data.AsSpan(0, D).ToArray();
        long[] onCamera3 = [.. ids.Where((_, i) => 1 + i % 6 == 3)];

        Assert.Equal(60, store.List(new GalleryFilter { IncludeCameras = many }, limit: 100).Total);
        Assert.Equal(60, store.Search(query, 100, new GalleryFilter { IncludeCameras = many }).Count);
        Assert.Equal(onCamera3, store.List(new GalleryFilter { ExcludeCameras = allButThree }, limit: 100).Items.Select(i => i.Id));
        Assert.Equal(onCamera3.Order(), store.Search(query, 100, new GalleryFilter { ExcludeCameras = allButThree }).Select(m => m.Item.Id).Order());
    }

    [Fact]
    public void NearlyUnitEmbeddingsAreStoredAtUnitNormAndScoresNeverExceedOne()
    {
        using GalleryStore store = Open();
        float[] unit = TestVectors.RandomUnit(1, D, seed: 32);
        float[] longer = [.. unit.Select(v => v * 1.0009f)]; // norm 1.0009: inside the 1e-3 tolerance
        float[] shorter = [.. TestVectors.RandomUnit(1, D, seed: 33).Select(v => v * 0.9991f)];
        long id = store.Add([new NewGalleryItem(longer), new NewGalleryItem(shorter)])[0].Id;

        GalleryMatch self = store.Search(longer, 1)[0];

        Assert.Equal(id, self.Item.Id);
        Assert.InRange(self.Score, 0.99999f, 1f);
        Assert.InRange(System.Numerics.Tensors.TensorPrimitives.Norm(store.GetEmbedding(id)!), 0.999999f, 1.000001f);
        Assert.All(store.Search(shorter, 2), m => Assert.InRange(m.Score, -1f, 1f));
    }

    private GalleryStore OpenWithModel(string path, string model) => GalleryStore.Open(Locate(path) with { EmbeddingModel = model });

    private GalleryStore Open(string factory = "Flat", string? path = null) =>
        GalleryStore.Open(Locate(path ?? "gallery.db") with { IndexFactory = factory });

    /// <summary>Adds n random unit vectors with cameras 1..6, labels p0..p9 and hourly capture times.</summary>
    private static (float[] Data, long[] Ids) AddRandom(GalleryStore store, int n, int seed)
    {
        float[] data = TestVectors.RandomUnit(n, D, seed);
        var items = Enumerable.Range(0, n).Select(i => new NewGalleryItem(
            data.AsSpan(i * D, D).ToArray(),
            ExternalId: $"s{seed}-{i}",
            CameraId: 1 + i % 6,
            Label: $"p{i % 10}",
            CapturedAt: T0.AddHours(i),
            SourceFileName: $"{i:D4}.jpg")).ToList();
        return (data, [.. store.Add(items).Select(i => i.Id)]);
    }
}

/// <summary>The store tests on SQLite: one database file per gallery name in a fresh temp folder.</summary>
public sealed class SqliteGalleryStoreTests : GalleryStoreTests
{
    private readonly TempDirectory temp = new();

    public override void Dispose() => temp.Dispose();

    protected override GalleryStoreOptions Locate(string name) => new() { DatabasePath = temp.File(name), Dimension = 32 };
}

/// <summary>The store tests on PostgreSQL (the shared test cluster): one schema per gallery name and test.</summary>
public sealed class PostgreSqlGalleryStoreTests : GalleryStoreTests
{
    private readonly string prefix = PostgreSqlCluster.NewSchema();

    protected override GalleryStoreOptions Locate(string name) => new()
    {
        DatabasePath = name,
        Dimension = 32,
        PostgreSql = new PostgreSqlGalleryOptions
        {
            ConnectionString = PostgreSqlCluster.Shared.ConnectionString(prefix + "_" + new string([.. name.Where(char.IsAsciiLetterOrDigit)])),
        },
    };
}
