namespace SanReid.Index.Tests;

/// <summary>The factory allow-list: strings FAISS accepts but that crash the process or break search never reach it.</summary>
public sealed class FaissFactoryTests : IDisposable
{
    private const int D = 32;

    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    public static TheoryData<string> RefusedFactories =>
    [
        "HNSW0", // FAISS 1.7.3: SIGSEGV on the second add
        "HNSW1", // level multiplier 1/ln(1): allocates until out of memory
        "HNSW3",
        "HNSW257",
        "IVF0,Flat", // assert abort
        "IVF65537,Flat",
        "IVF99999999999,Flat",
        "NSG32,Flat", // SIGFPE
        "Flat,RFlat", // refinement: breaks filtered search
        "PCA16,Flat", // pre-transform: breaks filtered search
        "HNSW16_PQ8", // misreports its training size
        "OPQ8,IVF4,PQ8",
        "IVF4,PQ5", // 5 does not divide 32
        "IVF4,PQ64", // more sub-quantisers than dimensions
        "IVF4,PQ0",
        "IVF4,PQ8x3",
        "IVF4,PQ8x9",
        "IVF4,SQ4", // only SQ8 is offered
        "IVF4,SQ8x4",
        "auto", // the store's "Auto" is case-sensitive too
        "IVF08,Flat",
        "flat",
        " Flat",
        "Flat ",
        "IVF4, Flat",
        "IVF٤,Flat", // an Arabic-Indic digit
        "LSH",
    ];

    [Theory]
    [MemberData(nameof(RefusedFactories))]
    public void FaissIndexRefusesUnsupportedFactoriesBeforeAnyNativeCall(string factory)
    {
        var error = Assert.Throws<ArgumentException>(() => FaissIndex.Create(factory, D));

        Assert.Contains($"'{factory}'", error.Message);
        Assert.Contains(FaissFactory.AcceptedForms, error.Message);
    }

    [Theory]
    [MemberData(nameof(RefusedFactories))]
    public void GalleryStoreRefusesUnsupportedFactoriesWithoutTouchingTheDisk(string factory)
    {
        string path = temp.File("gallery.db");

        var error = Assert.Throws<ArgumentException>(() =>
            GalleryStore.Open(new GalleryStoreOptions { DatabasePath = path, Dimension = D, IndexFactory = factory }));

        Assert.Contains(FaissFactory.AcceptedForms, error.Message);
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(path + ".lock"));
    }

    [Theory]
    [InlineData("Flat")]
    [InlineData("IVF1,Flat")]
    [InlineData("HNSW4")]
    [InlineData("HNSW256")]
    [InlineData("IVF4,PQ1")]
    [InlineData("IVF4,PQ32")]
    [InlineData("IVF4,PQ8x4")]
    [InlineData("IVF4,PQ8x8")]
    public void SupportedFactoriesAtTheirRangeLimitsBuildWorkingIndexes(string factory)
    {
        float[] data = TestVectors.RandomUnit(2000, D, seed: 1);
        long[] ids = TestVectors.Ids(2000);
        using var index = FaissIndex.Create(factory, D);
        if (!index.IsTrained)
        {
            index.Train(data.AsSpan(0, 1000 * D));
        }

        index.Add(data.AsSpan(0, 2 * D), ids.AsSpan(0, 2));
        index.Add(data.AsSpan(2 * D, 10 * D), ids.AsSpan(2, 10));

        Assert.Equal(12, index.Count);
        Assert.Equal(12, index.Search(data.AsSpan(0, D), 20).Length);
    }

    [Fact]
    public void TheLargestNlistIsAccepted()
    {
        using var index = FaissIndex.Create($"IVF{FaissFactory.MaxNlist},Flat", D);

        Assert.Equal(FaissFactory.MaxNlist, index.Nlist);
        Assert.Equal(39L * FaissFactory.MaxNlist, index.MinTrainingPoints);
    }

    [Fact]
    public void ParseReportsTheKindAndItsParameters()
    {
        FaissFactory pq = FaissFactory.Parse("IVF16,PQ8x4", D);
        FaissFactory pqDefaultBits = FaissFactory.Parse("IVF16,PQ8", D);
        FaissFactory hnsw = FaissFactory.Parse("HNSW32", D);
        FaissFactory ivf = FaissFactory.Parse("IVF100,Flat", D);

        Assert.Equal((FaissIndexKind.IvfPq, 16, 8, 4, true, true), (pq.Kind, pq.Nlist, pq.PqM, pq.PqBits, pq.IsLossy, pq.NeedsTraining));
        Assert.Equal(8, pqDefaultBits.PqBits);
        Assert.Equal((FaissIndexKind.Hnsw, 32, false, false), (hnsw.Kind, hnsw.HnswM, hnsw.IsLossy, hnsw.NeedsTraining));
        Assert.Equal((FaissIndexKind.IvfFlat, 100, false, true), (ivf.Kind, ivf.Nlist, ivf.IsLossy, ivf.NeedsTraining));
        Assert.Equal(FaissIndexKind.Flat, FaissFactory.Parse("Flat", D).Kind);
    }
}
