namespace SanReid.Index.Tests;

/// <summary>Images kept with gallery items, on each backend (<see cref="SqliteGalleryStoreTests"/>,
/// <see cref="PostgreSqlGalleryStoreTests"/>).</summary>
public abstract partial class GalleryStoreTests
{
    [Fact]
    public void AnImageComesBackByteForByteAndItemsSayWhetherTheyHaveOne()
    {
        string path = "images.db";
        byte[] jpeg = Bytes(5_000, seed: 1);
        float[] data = TestVectors.RandomUnit(2, D, seed: 40);
        long with, without;
        using (GalleryStore store = Open(path: path))
        {
            IReadOnlyList<GalleryItem> added = store.Add([
                new NewGalleryItem(data[..D], CameraId: 1, Image: new GalleryImage(jpeg)),
                new NewGalleryItem(data[D..], CameraId: 2),
            ]);
            (with, without) = (added[0].Id, added[1].Id);

            Assert.True(added[0].HasImage);
            Assert.False(added[1].HasImage);
            Assert.True(store.Get(with)!.HasImage);
            Assert.False(store.Get(without)!.HasImage);
            Assert.Equal([true, false], store.List().Items.Select(i => i.HasImage));
            Assert.True(store.Search(data.AsSpan(0, D), 1)[0].Item.HasImage);
            Assert.False(store.Search(data.AsSpan(D, D), 1)[0].Item.HasImage);
        }

        using GalleryStore reopened = Open(path: path);
        GalleryImage? image = reopened.GetImage(with);
        Assert.NotNull(image);
        Assert.Equal(jpeg, image.Bytes);
        Assert.Equal("image/jpeg", image.MediaType);
        // The validator is the SHA-256 of the bytes, hex: 64 digits, equal for equal bytes, different otherwise.
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(jpeg)), image.Sha256);
        Assert.NotEqual(new GalleryImage(Bytes(5_000, seed: 2)).Sha256, image.Sha256);
        Assert.Null(reopened.GetImage(without));
        Assert.Null(reopened.GetImage(without + 1000));
        Assert.True(reopened.Search(data.AsSpan(0, D), 1)[0].Item.HasImage); // loaded at open, not only remembered
    }

    [Fact]
    public void DeletingItemsOneByOneOrInBulkDeletesTheirImages()
    {
        using GalleryStore store = Open();
        float[] data = TestVectors.RandomUnit(6, D, seed: 41);
        var items = Enumerable.Range(0, 6).Select(i => new NewGalleryItem(
            data[(i * D)..((i + 1) * D)], CapturedAt: T0.AddHours(i), Image: new GalleryImage(Bytes(1_000 + i, seed: i)))).ToList();
        long[] ids = [.. store.Add(items).Select(i => i.Id)];

        Assert.True(store.Delete(ids[5]));
        // Captured at T0 + 0, 1, 2 h: the first three go; T0 + 3 h and T0 + 4 h stay.
        Assert.Equal(3, store.DeleteBefore(GalleryTimeColumn.CapturedAt, T0.AddHours(2.5)));

        // GetImage reads the image table by item id alone: null means the image row itself is gone.
        Assert.All(ids[..3].Append(ids[5]), id => Assert.Null(store.GetImage(id)));
        Assert.Equal(items[3].Image!.Bytes, store.GetImage(ids[3])!.Bytes);
        Assert.Equal(items[4].Image!.Bytes, store.GetImage(ids[4])!.Bytes);

        Assert.Equal(2, store.DeleteBefore(GalleryTimeColumn.CreatedAt, DateTimeOffset.UtcNow.AddMinutes(1)));
        Assert.Null(store.GetImage(ids[3]));
        Assert.Null(store.GetImage(ids[4]));
    }

    [Fact]
    public void AnEmptyOrOversizedImageIsRefusedAndNothingOfTheBatchIsStored()
    {
        using GalleryStore store = Open();
        float[] data = TestVectors.RandomUnit(2, D, seed: 42);

        var empty = Assert.Throws<ArgumentException>(() => store.Add([
            new NewGalleryItem(data[..D], Image: new GalleryImage(Bytes(10, seed: 3))),
            new NewGalleryItem(data[D..], Image: new GalleryImage([])),
        ]));
        var huge = Assert.Throws<ArgumentException>(() => store.Add([
            new NewGalleryItem(data[..D], Image: new GalleryImage(new byte[GalleryImage.MaxBytes + 1])),
        ]));

        Assert.Contains("Item 1's image has 0 bytes", empty.Message);
        Assert.Contains($"has {GalleryImage.MaxBytes + 1} bytes", huge.Message);
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void AFailedAddStoresNoImage()
    {
        using GalleryStore store = Open();
        float[] data = TestVectors.RandomUnit(3, D, seed: 43);
        long first = store.Add([new NewGalleryItem(data[..D], ExternalId: "taken")])[0].Id;

        Assert.Throws<DuplicateExternalIdException>(() => store.Add([
            new NewGalleryItem(data[D..(2 * D)], Image: new GalleryImage(Bytes(100, seed: 4))),
            new NewGalleryItem(data[(2 * D)..], ExternalId: "taken", Image: new GalleryImage(Bytes(100, seed: 5))),
        ]));

        // Ids after the first are the ones the failed batch used or skipped: none has an image.
        Assert.All(Enumerable.Range(1, 5), offset => Assert.Null(store.GetImage(first + offset)));
        Assert.Equal(1, store.Count);
    }

    private static byte[] Bytes(int n, int seed)
    {
        var bytes = new byte[n];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
