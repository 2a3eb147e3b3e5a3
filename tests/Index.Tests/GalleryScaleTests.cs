namespace SanReid.Index.Tests;

/// <summary>
/// Issue 8: filters answered from memory, the Auto index (Flat, then IVF,SQ8 with calibrated nprobe), background
/// builds, bulk deletes and the index file cache. Real FAISS, real SQLite, small galleries. (How long writes wait during
/// a build is a speed figure: bench/ScaleBench prints it.)
/// </summary>
public sealed class GalleryScaleTests : IDisposable
{
    private const int D = 32;

    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData("Flat", 100_000)]
    [InlineData("Flat", 0)] // exact gallery: every selection scored exactly, however large
    [InlineData("IVF8,Flat", 100_000)]
    [InlineData("IVF8,Flat", 0)] // every filter through the index's id bitmap (and the exact fallback)
    [InlineData("IVF8,SQ8", 0)]
    [InlineData("HNSW16", 0)]
    public void FilteredSearchEqualsBruteForceOverRandomMetadata(string factory, int exactSelectionLimit)
    {
        // Property: for random metadata and 40 random filters, the ids returned are the brute-force top k of the items
        // that pass the filter (exact selections), or at least never an item that does not pass and never fewer than
        // min(k, qualifying) (approximate paths).
        var random = new Random(11);
        using GalleryStore store = Open(factory, exactSelectionLimit: exactSelectionLimit);
        const int n = 600;
        // Cameras 0-6 and 70: filters test ids below 64 with a bit mask and others with a set.
        static int Camera(int draw) => draw == 7 ? 70 : draw;
        float[] data = TestVectors.Clustered(n, D, clusters: 30, noise: 0.05f, seed: 1, sampleSeed: 2);
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var items = Enumerable.Range(0, n).Select(i => new NewGalleryItem(
            data.AsSpan(i * D, D).ToArray(), CameraId: random.Next(4) == 0 ? null : Camera(random.Next(8)), Label: random.Next(3) == 0 ? null : $"p{random.Next(4)}",
            CapturedAt: random.Next(5) == 0 ? null : start.AddHours(random.Next(240)))).ToList();
        long[] ids = [.. store.Add(items).Select(i => i.Id)];
        foreach (long id in ids.Where((_, i) => i % 9 == 0))
        {
            store.Delete(id);
        }

        var alive = ids.Where((_, i) => i % 9 != 0).ToHashSet();
        for (int trial = 0; trial < 40; trial++)
        {
            var filter = new GalleryFilter
            {
                IncludeCameras = random.Next(2) == 0 ? [.. Enumerable.Range(0, random.Next(1, 4)).Select(_ => Camera(random.Next(8)))] : null,
                ExcludeCameras = random.Next(3) == 0 ? [Camera(random.Next(8))] : null,
                CapturedFrom = random.Next(2) == 0 ? start.AddHours(random.Next(200)) : null,
                Label = random.Next(3) == 0 ? $"p{random.Next(5)}" : null,
            };
            filter = filter with { CapturedTo = filter.CapturedFrom is { } f && random.Next(2) == 0 ? f.AddHours(random.Next(1, 100)) : null };
            bool Passes(long id)
            {
                NewGalleryItem item = items[Array.IndexOf(ids, id)];
                return alive.Contains(id)
                    && (filter.IncludeCameras is null || (item.CameraId is { } c && filter.IncludeCameras.Contains(c)))
                    && (filter.ExcludeCameras is null || item.CameraId is not { } e || !filter.ExcludeCameras.Contains(e))
                    && (filter.CapturedFrom is null || (item.CapturedAt is { } t && t >= filter.CapturedFrom))
                    && (filter.CapturedTo is null || (item.CapturedAt is { } u && u < filter.CapturedTo))
                    && (filter.Label is null || item.Label == filter.Label);
            }

            float[] query = TestVectors.Clustered(1, D, clusters: 30, noise: 0.05f, seed: 1, sampleSeed: 100 + trial);
            var expected = TestVectors.BruteForce(data, ids, D, query, 10, Passes);
            var actual = store.Search(query, 10, filter);

            Assert.Equal(expected.Length, actual.Count);
            Assert.All(actual, m => Assert.True(Passes(m.Item.Id), $"trial {trial}: id {m.Item.Id} does not pass the filter"));
            if (factory == "Flat" || exactSelectionLimit > 0)
            {
                Assert.Equal(expected.Select(e => e.Id), actual.Select(m => m.Item.Id));
                Assert.Equal(expected.Select(e => e.Score), actual.Select(m => m.Score), new ToleranceComparer(1e-5f));
            }
        }
    }

    [Fact]
    public void CameraFiltersStayExactWhenDeletedPositionsAreReusedByOtherCameras()
    {
        // Adds after deletes reuse the freed positions, here with other cameras: each camera's position list must
        // follow, or a camera filter would miss items or return another camera's.
        using GalleryStore store = Open("Flat");
        float[] data = TestVectors.RandomUnit(900, D, seed: 40);
        var cameraOf = new Dictionary<long, int>();
        void AddRange(int first, int count, Func<int, int> camera)
        {
            foreach (var (item, i) in store.Add([.. Enumerable.Range(first, count).Select(i =>
                new NewGalleryItem(data.AsSpan(i * D, D).ToArray(), CameraId: camera(i)))]).Select((item, i) => (item, i)))
            {
                cameraOf[item.Id] = camera(first + i);
            }
        }

        AddRange(0, 300, i => i % 3);
        foreach (long id in cameraOf.Keys.Where(id => id % 2 == 0).ToList())
        {
            Assert.True(store.Delete(id));
            cameraOf.Remove(id);
        }

        AddRange(300, 300, i => (i + 1) % 3); // 150 of them reuse freed positions
        foreach (long id in cameraOf.Keys.Where(id => id % 5 == 0).ToList())
        {
            Assert.True(store.Delete(id));
            cameraOf.Remove(id);
        }

        AddRange(600, 300, i => i % 4); // camera 3 is new; more reuse
        for (int camera = 0; camera < 5; camera++)
        {
            var found = store.Search(data.AsSpan(0, D), 1000, new GalleryFilter { IncludeCameras = [camera] }).Select(m => m.Item.Id).Order();
            Assert.Equal(cameraOf.Where(e => e.Value == camera).Select(e => e.Key).Order(), found);
        }

        var two = store.Search(data.AsSpan(0, D), 1000, new GalleryFilter { IncludeCameras = [1, 3, 1] }).Select(m => m.Item.Id).Order();
        Assert.Equal(cameraOf.Where(e => e.Value is 1 or 3).Select(e => e.Key).Order(), two);
    }

    [Theory]
    [InlineData("IVF16,Flat", 0.95)]
    [InlineData("IVF16,SQ8", 0.95)]
    [InlineData("HNSW16", 0.95)]
    [InlineData("IVF16,PQ8x4", 0.8)]
    [InlineData("Auto", 0.95)]
    public void EachIndexTypeKeepsItsRecallFloor(string factory, double floor)
    {
        // Re-ID-shaped data: 100 identities of 30 crops; queries are new crops. Recall@10 against exact search.
        using GalleryStore store = Open(factory, autoFlatLimit: 39 * 64);
        const int n = 3000;
        float[] data = TestVectors.Clustered(n, D, clusters: 100, noise: 0.08f, seed: 3, sampleSeed: 4);
        long[] ids = [.. store.Add(Items(data, 0, n)).Select(i => i.Id)];
        Assert.NotEqual("Flat", store.ActiveIndexFactory);
        if (factory == "Auto")
        {
            Assert.Equal("IVF64,SQ8", store.ActiveIndexFactory); // 4·√3000 ≈ 219 → 128, but 39 × 128 > 3000 → 64
            Assert.True(store.IndexStatus.CalibratedRecall >= 0.95, $"calibrated {store.IndexStatus.CalibratedRecall}");
            Assert.NotNull(store.IndexStatus.Nprobe);
        }

        float[] queries = TestVectors.Clustered(50, D, clusters: 100, noise: 0.08f, seed: 3, sampleSeed: 5);
        double recall = 0;
        for (int q = 0; q < 50; q++)
        {
            var truth = TestVectors.BruteForce(data, ids, D, queries.AsSpan(q * D, D), 10).Select(e => e.Id).ToHashSet();
            recall += store.Search(queries.AsSpan(q * D, D), 10).Count(m => truth.Contains(m.Item.Id)) / 10.0;
        }

        Assert.True(recall / 50 >= floor, $"{factory}: recall@10 {recall / 50:F3} < {floor}");
    }

    [Fact]
    public void AutoStartsExactAndSwitchesToIvfSq8PastTheLimit()
    {
        using GalleryStore store = Open("Auto", autoFlatLimit: 2600);
        float[] data = TestVectors.Clustered(2700, D, clusters: 50, noise: 0.08f, seed: 6, sampleSeed: 7);
        store.Add(Items(data, 0, 2599));
        Assert.Equal("Flat", store.ActiveIndexFactory);

        store.Add(Items(data, 2599, 101)); // 2,700 ≥ 2,600

        Assert.Equal("IVF64,SQ8", store.ActiveIndexFactory);
        Assert.Null(store.LastIndexError);
        Assert.Equal(2700, store.Count);
    }

    [Fact]
    public async Task ConcurrentAddSearchDeleteDuringBackgroundRebuildLoseAndResurrectNothing()
    {
        using GalleryStore store = Open("Auto", autoFlatLimit: 2600, background: true);
        const int n = 4000;
        float[] data = TestVectors.Clustered(n, D, clusters: 80, noise: 0.08f, seed: 8, sampleSeed: 9);
        var added = new System.Collections.Concurrent.ConcurrentDictionary<long, int>(); // id -> row
        var deleted = new System.Collections.Concurrent.ConcurrentDictionary<long, bool>();
        foreach (var (item, i) in store.Add(Items(data, 0, 2500)).Select((item, i) => (item, i)))
        {
            added[item.Id] = i;
        }

        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var done = new CancellationTokenSource();
        Task writer = Task.Run(() =>
        {
            // Crosses the limit (starting a background build) and keeps adding and deleting while it runs.
            for (int i = 2500; i < n; i += 10)
            {
                foreach (var (item, j) in store.Add(Items(data, i, 10)).Select((item, j) => (item, j)))
                {
                    added[item.Id] = i + j;
                }

                long victim = added.Keys.ElementAt(i % added.Count);
                if (added.TryRemove(victim, out _))
                {
                    Assert.True(store.Delete(victim));
                    deleted[victim] = true;
                }

            }
        });
        Task searcher = Task.Run(() =>
        {
            var random = new Random(10);
            while (!writer.IsCompleted)
            {
                long[] goneBefore = [.. deleted.Keys];
                int row = random.Next(2500);
                foreach (GalleryMatch match in store.Search(data.AsSpan(row * D, D), 20))
                {
                    if (goneBefore.Contains(match.Item.Id))
                    {
                        failures.Enqueue($"deleted id {match.Item.Id} returned");
                    }
                }
            }
        });
        await Task.WhenAll(writer, searcher);
        Assert.True(store.WaitForIndexBuild(TimeSpan.FromMinutes(2)));

        Assert.Empty(failures);
        Assert.Equal(added.Count, store.Count);
        Assert.StartsWith("IVF", store.ActiveIndexFactory);
        // Every acknowledged item is found by its own embedding; no deleted one comes back.
        foreach ((long id, int row) in added)
        {
            var hits = store.Search(data.AsSpan(row * D, D), 3);
            Assert.Contains(hits, h => h.Item.Id == id);
        }

        var everything = store.Search(data.AsSpan(0, D), 10_000);
        Assert.Equal(added.Count, everything.Count);
        Assert.DoesNotContain(everything, m => deleted.ContainsKey(m.Item.Id));
    }

    [Fact]
    public void FailedBackgroundBuildLeavesThePreviousIndexServing()
    {
        bool fail = false;
        string path = temp.File("gallery.db");
        using GalleryStore store = GalleryStore.Open(
            new GalleryStoreOptions { DatabasePath = path, Dimension = D, IndexFactory = "Auto", AutoFlatLimit = 2600, BackgroundIndexBuild = true },
            factory => { if (fail) throw new InvalidOperationException("injected training failure"); });
        float[] data = TestVectors.Clustered(2700, D, clusters: 50, noise: 0.08f, seed: 12, sampleSeed: 13);
        store.Add(Items(data, 0, 2500));
        fail = true;

        store.Add(Items(data, 2500, 200));
        Assert.True(store.WaitForIndexBuild(TimeSpan.FromMinutes(1)));

        Assert.Equal("Flat", store.ActiveIndexFactory);
        Assert.Contains("injected training failure", store.LastIndexError);
        Assert.Contains("injected training failure", store.IndexStatus.LastError);
        Assert.Equal(2700, store.Count);
        Assert.Equal(2700, store.Search(data.AsSpan(0, D), 5000).Count);
    }

    [Theory]
    [InlineData("Flat")]
    [InlineData("IVF8,SQ8")]
    [InlineData("HNSW16")]
    public void DeleteBeforeRemovesExactlyTheOlderItemsForGood(string factory)
    {
        string path = temp.File("gallery.db");
        var start = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        float[] data = TestVectors.RandomUnit(12_000, D, seed: 14);
        long[] ids;
        using (GalleryStore store = Open(factory, path))
        {
            // 12,000 items, one per minute, every 7th without a capture time: more than two transactions' worth.
            ids = [.. store.Add([.. Enumerable.Range(0, 12_000).Select(i => new NewGalleryItem(
                data.AsSpan(i * D, D).ToArray(), CapturedAt: i % 7 == 0 ? null : start.AddMinutes(i)))]).Select(i => i.Id)];

            long deleted = store.DeleteBefore(GalleryTimeColumn.CapturedAt, start.AddMinutes(11_000));

            // i < 11,000 with a capture time: 11,000 - ceil(11,000 / 7) = 11,000 - 1,572 = 9,428.
            Assert.Equal(9_428, deleted);
            Assert.Equal(12_000 - 9_428, store.Count);
            var left = store.Search(data.AsSpan(0, D), 12_000).Select(m => m.Item.Id).ToHashSet();
            Assert.Equal(12_000 - 9_428, left.Count);
            Assert.All(Enumerable.Range(0, 11_000).Where(i => i % 7 != 0), i => Assert.DoesNotContain(ids[i], left));
            Assert.Equal(0, store.DeleteBefore(GalleryTimeColumn.CapturedAt, start.AddMinutes(11_000)));
        }

        using GalleryStore reopened = Open(factory, path);
        Assert.Equal(12_000 - 9_428, reopened.Count);
        Assert.Equal(12_000 - 9_428, reopened.DeleteBefore(GalleryTimeColumn.CreatedAt, DateTimeOffset.UtcNow.AddMinutes(1)));
        Assert.Equal(0, reopened.Count);
        Assert.Empty(reopened.Search(data.AsSpan(0, D), 10));
    }

    [Fact]
    public void PersistedIndexIsLoadedAtOpenAndReconciledWithTheDatabase()
    {
        string path = temp.File("gallery.db");
        float[] data = TestVectors.Clustered(3300, D, clusters: 60, noise: 0.08f, seed: 15, sampleSeed: 16);
        long[] ids;
        using (GalleryStore store = Open("Auto", path, autoFlatLimit: 2600, persist: true))
        {
            ids = [.. store.Add(Items(data, 0, 3000)).Select(i => i.Id)];
            Assert.Equal("IVF64,SQ8", store.ActiveIndexFactory);
        }

        Assert.True(File.Exists(path + ".faiss"));
        // Changes the index file does not know about: made through a store that does not write it.
        using (GalleryStore other = Open("Flat", path))
        {
            ids = [.. ids, .. other.Add(Items(data, 3000, 300)).Select(i => i.Id)];
            Assert.True(other.Delete(ids[5]));
            Assert.True(other.Delete(ids[3100]));
        }

        using GalleryStore reopened = Open("Auto", path, autoFlatLimit: 2600, persist: true);
        Assert.Equal("IVF64,SQ8", reopened.ActiveIndexFactory);
        Assert.Null(reopened.IndexStatus.LastBuildSeconds); // loaded, not built
        Assert.Equal(3298, reopened.Count);
        for (int i = 0; i < 3300; i += 97)
        {
            var hits = reopened.Search(data.AsSpan(i * D, D), 3).Select(h => h.Item.Id).ToList();
            Assert.Equal(i is 5 or 3100, !hits.Contains(ids[i]));
        }

        Assert.DoesNotContain(reopened.Search(data.AsSpan(5 * D, D), 3300), m => m.Item.Id == ids[5] || m.Item.Id == ids[3100]);
    }

    [Fact]
    public void ADamagedIndexFileIsIgnoredAndTheIndexRebuilt()
    {
        string path = temp.File("gallery.db");
        float[] data = TestVectors.Clustered(3000, D, clusters: 60, noise: 0.08f, seed: 17, sampleSeed: 18);
        using (GalleryStore store = Open("Auto", path, autoFlatLimit: 2600, persist: true))
        {
            store.Add(Items(data, 0, 3000));
        }

        File.WriteAllBytes(path + ".faiss", [1, 2, 3, 4]);

        using GalleryStore reopened = Open("Auto", path, autoFlatLimit: 2600, persist: true);
        Assert.Equal("IVF64,SQ8", reopened.ActiveIndexFactory);
        Assert.NotNull(reopened.IndexStatus.LastBuildSeconds);
        Assert.Equal(3000, reopened.Search(data.AsSpan(0, D), 5000).Count);
    }

    [Fact]
    public void ConcurrentUnfilteredSearchesGiveTheSameAnswersAsOneByOne()
    {
        using GalleryStore store = Open("IVF16,Flat");
        float[] data = TestVectors.Clustered(2000, D, clusters: 40, noise: 0.08f, seed: 19, sampleSeed: 20);
        store.Add(Items(data, 0, 2000));
        float[] queries = TestVectors.Clustered(64, D, clusters: 40, noise: 0.08f, seed: 19, sampleSeed: 21);
        long[][] sequential = [.. Enumerable.Range(0, 64).Select(q => store.Search(queries.AsSpan(q * D, D), 5).Select(m => m.Item.Id).ToArray())];

        var parallel = new long[64][];
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 16 }, q =>
            parallel[q] = [.. store.Search(queries.AsSpan(q * D, D), 5).Select(m => m.Item.Id)]);

        for (int q = 0; q < 64; q++)
        {
            Assert.Equal(sequential[q], parallel[q]);
        }
    }

    private GalleryStore Open(string factory, string? path = null, int exactSelectionLimit = 32_768, int autoFlatLimit = 50_000,
        bool background = false, bool persist = false) =>
        GalleryStore.Open(new GalleryStoreOptions
        {
            DatabasePath = path ?? temp.File("gallery.db"),
            Dimension = D,
            IndexFactory = factory,
            ExactSelectionLimit = exactSelectionLimit,
            AutoFlatLimit = autoFlatLimit,
            BackgroundIndexBuild = background,
            PersistIndex = persist,
        });

    private static List<NewGalleryItem> Items(float[] data, int first, int n) =>
        [.. Enumerable.Range(first, n).Select(i => new NewGalleryItem(data.AsSpan(i * D, D).ToArray()))];

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
