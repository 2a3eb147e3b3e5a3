namespace SanReid.Index.Tests;

/// <summary>
/// A failing FAISS build (training, HNSW rebuild) never undoes or bricks committed data: the store keeps searching an
/// exact index and says why in LastIndexError. Failures are injected through the internal build seam, since every
/// supported factory trains reliably on valid data.
/// </summary>
public sealed class GalleryStoreIndexFailureTests : IDisposable
{
    private const int D = 32;

    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void AddThatCrossesTheTrainingThresholdCommitsWhenTrainingFails()
    {
        var fault = new Fault();
        string path = temp.File("gallery.db");
        float[] data = TestVectors.RandomUnit(201, D, seed: 1);
        using (GalleryStore store = Open("IVF4,Flat", path, fault))
        {
            store.Add(Items(data, 0, 100));
            fault.On = true;

            IReadOnlyList<GalleryItem> added = store.Add(Items(data, 100, 100)); // 200 ≥ 39 × 4: trains, which fails

            Assert.Equal(100, added.Count);
            Assert.Equal(200, store.Count);
            Assert.Equal("Flat", store.ActiveIndexFactory);
            Assert.Contains("injected training failure", store.LastIndexError);
            Assert.Equal(added[5].Id, store.Search(data.AsSpan(105 * D, D), 1)[0].Item.Id);
            Assert.Equal(200, store.Search(data.AsSpan(0, D), 1000).Count);

            // The gallery is not wedged: the next add works and does not retrain on every call.
            int buildsBefore = fault.Calls;
            store.Add(Items(data, 200, 1));
            Assert.Equal(buildsBefore, fault.Calls);
            Assert.Equal(201, store.Count);
            Assert.Throws<DuplicateExternalIdException>(() => store.Add(Items(data, 100, 1)));
        }

        using GalleryStore reopened = Open("IVF4,Flat", path, fault: null);
        Assert.Equal(201, reopened.Count);
        Assert.Equal("IVF4,Flat", reopened.ActiveIndexFactory);
        Assert.Null(reopened.LastIndexError);
        Assert.Equal(201, reopened.Search(data.AsSpan(0, D), 1000).Count);
    }

    [Theory]
    [InlineData("IVF4,Flat", 200)]
    [InlineData("IVF4,PQ4x4", 700)]
    [InlineData("HNSW16", 200)]
    public void OpenFallsBackToExactSearchWhenBuildingTheConfiguredIndexFails(string factory, int n)
    {
        string path = temp.File("gallery.db");
        float[] data = TestVectors.RandomUnit(n, D, seed: 2);
        using (GalleryStore store = Open(factory, path, fault: null))
        {
            store.Add(Items(data, 0, n));
            Assert.Equal(factory, store.ActiveIndexFactory);
        }

        using GalleryStore reopened = Open(factory, path, new Fault { On = true });

        Assert.Equal(n, reopened.Count);
        Assert.Equal("Flat", reopened.ActiveIndexFactory);
        Assert.Contains(factory, reopened.LastIndexError);
        Assert.Contains("injected training failure", reopened.LastIndexError);
        float[] query = TestVectors.RandomUnit(1, D, seed: 3);
        long[] ids = [.. Enumerable.Range(1, n).Select(i => (long)i)];
        Assert.Equal(
            TestVectors.BruteForce(data, ids, D, query, 10).Select(e => e.Id),
            reopened.Search(query, 10).Select(m => m.Item.Id));
    }

    [Fact]
    public void HnswRebuildFailureAfterDeletesKeepsDeletedItemsOutOfResults()
    {
        var fault = new Fault();
        using GalleryStore store = Open("HNSW16", temp.File("gallery.db"), fault);
        float[] data = TestVectors.RandomUnit(200, D, seed: 4);
        long[] ids = [.. store.Add(Items(data, 0, 200)).Select(i => i.Id)];
        fault.On = true;

        for (int i = 0; i < 120; i++)
        {
            Assert.True(store.Delete(ids[i])); // the 51st delete crosses a quarter and rebuilds, which fails
        }

        // The previous index keeps serving, with the deleted ids excluded at search time.
        Assert.Equal(80, store.Count);
        Assert.Equal("HNSW16", store.ActiveIndexFactory);
        Assert.Contains("injected training failure", store.LastIndexError);
        var matches = store.Search(TestVectors.RandomUnit(1, D, seed: 5), 200);
        Assert.Equal(ids.Skip(120).Order(), matches.Select(m => m.Item.Id).Order());
    }

    private GalleryStore Open(string factory, string path, Fault? fault) => GalleryStore.Open(
        new GalleryStoreOptions { DatabasePath = path, Dimension = D, IndexFactory = factory },
        fault is null ? null : fault.BeforeBuild);

    private static List<NewGalleryItem> Items(float[] data, int first, int n) =>
        [.. Enumerable.Range(first, n).Select(i => new NewGalleryItem(data.AsSpan(i * D, D).ToArray(), ExternalId: $"x{i}"))];

    /// <summary>Throws what a FAISS failure throws, while <see cref="On"/>; counts the builds it saw.</summary>
    private sealed class Fault
    {
        public bool On { get; set; }

        public int Calls { get; private set; }

        public void BeforeBuild(string factory)
        {
            Calls++;
            if (On)
            {
                throw new FaissException(FaissStatus.FaissError, $"FAISS: injected training failure of {factory}");
            }
        }
    }
}
