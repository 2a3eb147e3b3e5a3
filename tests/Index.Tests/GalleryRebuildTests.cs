namespace SanReid.Index.Tests;

/// <summary>
/// Issue 8: adds and deletes never wait for an index build (training and filling run outside the store's locks; the
/// changes made meanwhile are replayed onto the new index before it is swapped in), and an open loads the saved index
/// instead of building one. The builds are held at the store's test seams (before training, before the swap), so the
/// tests assert the order of events, not durations. Real FAISS, real SQLite.
/// </summary>
public sealed class GalleryRebuildTests : IDisposable
{
    private const int D = 32;

    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void AnAddAndADeleteCompleteWhileABuildIsStuckInTraining()
    {
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        bool hold = false;
        using GalleryStore store = GalleryStore.Open(Options(temp.File("gallery.db")), factory =>
        {
            if (hold)
            {
                entered.Set();
                release.Wait(TimeSpan.FromMinutes(2));
            }
        });
        float[] data = TestVectors.Clustered(2800, D, clusters: 50, noise: 0.08f, seed: 31, sampleSeed: 32);
        long[] ids = [.. store.Add(Items(data, 0, 2500)).Select(i => i.Id)];
        hold = true;

        ids = [.. ids, .. store.Add(Items(data, 2500, 200)).Select(i => i.Id)]; // 2,700 ≥ 2,600: starts the build
        Assert.True(entered.Wait(TimeSpan.FromMinutes(1)), "the background build never started");

        // The build is inside its training step and cannot leave it until `release` is set: these must not wait for it.
        long[] during = [.. store.Add(Items(data, 2700, 100)).Select(i => i.Id)];
        Assert.True(store.Delete(ids[7]));
        Assert.Equal(2799, store.DeleteBefore(GalleryTimeColumn.CreatedAt, DateTimeOffset.UtcNow.AddDays(-1)) + store.Count);
        Assert.False(release.IsSet);
        Assert.True(store.IndexStatus.Building);
        Assert.Equal("Flat", store.ActiveIndexFactory); // exact search serves meanwhile

        release.Set();
        Assert.True(store.WaitForIndexBuild(TimeSpan.FromMinutes(2)));
        Assert.Equal("IVF64,SQ8", store.ActiveIndexFactory);
        Assert.Equal(2799, store.Count);
        Assert.Contains(store.Search(data.AsSpan(2750 * D, D), 3), m => m.Item.Id == during[50]);
        Assert.DoesNotContain(store.Search(data.AsSpan(7 * D, D), 3), m => m.Item.Id == ids[7]);
    }

    [Fact]
    public void MoreAddsDuringTrainingThanOneReplayChunkAreAllInTheNewIndex()
    {
        // The replay copies a chunk of rows per read-lock hold (GalleryRows.Chunk = 4,096), so 4,500 adds during
        // training take two chunks and a remainder; every one must reach the new index exactly once.
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        bool hold = true;
        using GalleryStore store = GalleryStore.Open(Options(temp.File("gallery.db")), factory =>
        {
            if (hold)
            {
                hold = false;
                entered.Set();
                release.Wait(TimeSpan.FromMinutes(2));
            }
        });
        float[] data = TestVectors.Clustered(9500, D, clusters: 150, noise: 0.08f, seed: 41, sampleSeed: 42);
        store.Add(Items(data, 0, 5000)); // past AutoFlatLimit: the build of 5,000 rows starts
        Assert.True(entered.Wait(TimeSpan.FromMinutes(1)), "the background build never started");

        var added = new List<long>();
        for (int first = 5000; first < 9500; first += 500)
        {
            added.AddRange(store.Add(Items(data, first, 500)).Select(i => i.Id));
        }

        Assert.True(store.IndexStatus.Building);
        release.Set();
        Assert.True(store.WaitForIndexBuild(TimeSpan.FromMinutes(2)));

        Assert.StartsWith("IVF", store.ActiveIndexFactory);
        Assert.Equal(9500, store.Count); // under twice the 5,000 the index was built for: no second build
        Assert.Equal(1, store.IndexStatus.Builds);
        for (int i = 0; i < added.Count; i += 7)
        {
            Assert.Equal(added[i], store.Search(data.AsSpan((5000 + i) * D, D), 1)[0].Item.Id);
        }

        long[] all = [.. store.Search(data.AsSpan(0, D), 20000).Select(m => m.Item.Id)];
        Assert.Equal(9500, all.Length);
        Assert.Equal(9500, all.Distinct().Count());
    }

    [Fact]
    public void ChangesMadeWhileABuildFinishesAreReplayedOntoTheNewIndexBeforeTheSwap()
    {
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        using GalleryStore store = GalleryStore.Open(Options(temp.File("gallery.db")), beforeIndexBuild: null);
        store.BeforeSwap = () =>
        {
            entered.Set();
            release.Wait(TimeSpan.FromMinutes(2));
        };
        float[] data = TestVectors.Clustered(3000, D, clusters: 60, noise: 0.08f, seed: 33, sampleSeed: 34);
        long[] ids = [.. store.Add(Items(data, 0, 2700)).Select(i => i.Id)];
        Assert.True(entered.Wait(TimeSpan.FromMinutes(1)), "the background build never reached its swap");

        // The new index is trained and filled from the snapshot; these changes are not in it yet.
        long[] added = [.. store.Add(Items(data, 2700, 300)).Select(i => i.Id)];
        long[] deleted = [ids[0], ids[100], ids[2699], added[299]];
        foreach (long id in deleted)
        {
            Assert.True(store.Delete(id));
        }

        Assert.Equal("Flat", store.ActiveIndexFactory);
        release.Set();
        Assert.True(store.WaitForIndexBuild(TimeSpan.FromMinutes(2)));

        Assert.Equal("IVF64,SQ8", store.ActiveIndexFactory);
        Assert.Equal(2996, store.Count);
        // Found through the new index (it returns 4 x k candidates, so a missing item would not be replaced by an exact
        // scan): every item added during the build is its own nearest neighbour.
        for (int i = 0; i < 299; i++)
        {
            Assert.Equal(added[i], store.Search(data.AsSpan((2700 + i) * D, D), 1)[0].Item.Id);
        }

        long[] all = [.. store.Search(data.AsSpan(0, D), 5000).Select(m => m.Item.Id)];
        Assert.Equal(2996, all.Length);
        Assert.Empty(all.Intersect(deleted));
    }

    [Fact]
    public async Task RebuildsRacingAddsAndDeletesLoseAndResurrectNothing()
    {
        using GalleryStore store = GalleryStore.Open(Options(temp.File("gallery.db")), beforeIndexBuild: null);
        float[] data = TestVectors.Clustered(4000, D, clusters: 80, noise: 0.08f, seed: 35, sampleSeed: 36);
        var live = new Dictionary<long, int>(); // id -> row
        foreach (var (item, i) in store.Add(Items(data, 0, 2700)).Select((item, i) => (item, i)))
        {
            live[item.Id] = i;
        }

        Assert.True(store.WaitForIndexBuild(TimeSpan.FromMinutes(2)));
        var deleted = new HashSet<long>();
        Task writer = Task.Run(() =>
        {
            var random = new Random(37);
            for (int i = 2700; i < 4000; i += 20)
            {
                foreach (var (item, j) in store.Add(Items(data, i, 20)).Select((item, j) => (item, j)))
                {
                    live[item.Id] = i + j;
                }

                for (int d = 0; d < 5; d++)
                {
                    long victim = live.Keys.ElementAt(random.Next(live.Count));
                    Assert.True(store.Delete(victim));
                    live.Remove(victim);
                    deleted.Add(victim);
                }
            }
        });
        int rebuilds = 0;
        while (!writer.IsCompleted)
        {
            // A new build as soon as the last one is done: every change lands before, during or after one.
            rebuilds += store.RebuildIndex() ? 1 : 0;
            store.WaitForIndexBuild(TimeSpan.FromMinutes(2));
        }

        await writer;
        Assert.True(store.WaitForIndexBuild(TimeSpan.FromMinutes(2)));
        Assert.True(rebuilds >= 1);
        Assert.StartsWith("IVF", store.ActiveIndexFactory);
        Assert.Equal(live.Count, store.Count);
        foreach ((long id, int row) in live)
        {
            Assert.Contains(store.Search(data.AsSpan(row * D, D), 3), m => m.Item.Id == id);
        }

        long[] all = [.. store.Search(data.AsSpan(0, D), 10_000).Select(m => m.Item.Id)];
        Assert.Equal(live.Count, all.Length);
        Assert.Empty(all.Intersect(deleted));
    }

    [Fact]
    public void OpeningAGalleryLoadsItsSavedIndexWithoutBuilding()
    {
        string path = temp.File("gallery.db");
        int builds = 0;
        float[] data = TestVectors.Clustered(3200, D, clusters: 60, noise: 0.08f, seed: 38, sampleSeed: 39);
        long[] ids;
        using (GalleryStore store = GalleryStore.Open(Options(path), _ => builds++))
        {
            ids = [.. store.Add(Items(data, 0, 3000)).Select(i => i.Id)];
            Assert.True(store.WaitForIndexBuild(TimeSpan.FromMinutes(2)));
            Assert.Equal("IVF64,SQ8", store.ActiveIndexFactory);
            Assert.Equal(1, builds);
            Assert.Equal(1, store.IndexStatus.Builds);
        }

        using (GalleryStore reopened = GalleryStore.Open(Options(path), _ => builds++))
        {
            Assert.Equal("file", reopened.OpenReport.IndexSource);
            Assert.Equal(0, reopened.IndexStatus.Builds);
            Assert.False(reopened.IndexStatus.Building);
            Assert.Equal("IVF64,SQ8", reopened.ActiveIndexFactory);
            Assert.Equal(3000, reopened.OpenReport.Rows);
            Assert.Equal(ids[10], reopened.Search(data.AsSpan(10 * D, D), 1)[0].Item.Id);
        }

        // Changes the file does not know about (a store that does not write it): reconciled at open, still no build.
        using (GalleryStore other = GalleryStore.Open(new GalleryStoreOptions { DatabasePath = path, Dimension = D }))
        {
            ids = [.. ids, .. other.Add(Items(data, 3000, 200)).Select(i => i.Id)];
            Assert.True(other.Delete(ids[20]));
        }

        using GalleryStore third = GalleryStore.Open(Options(path), _ => builds++);
        Assert.Equal("file+201", third.OpenReport.IndexSource); // 200 added, 1 removed
        Assert.Equal(0, third.IndexStatus.Builds);
        Assert.Equal(1, builds);
        Assert.Equal(ids[3100], third.Search(data.AsSpan(3100 * D, D), 1)[0].Item.Id);
        Assert.DoesNotContain(third.Search(data.AsSpan(20 * D, D), 3), m => m.Item.Id == ids[20]);
    }

    private static GalleryStoreOptions Options(string path) => new()
    {
        DatabasePath = path,
        Dimension = D,
        IndexFactory = GalleryStoreOptions.AutoIndex,
        AutoFlatLimit = 2600,
        BackgroundIndexBuild = true,
        PersistIndex = true,
    };

    private static List<NewGalleryItem> Items(float[] data, int first, int n) =>
        [.. Enumerable.Range(first, n).Select(i => new NewGalleryItem(data.AsSpan(i * D, D).ToArray()))];
}
