using SanReid.Imaging;
using SanReid.Trainer.Data;

namespace SanReid.Trainer.Tests.Data;

public sealed class CropReaderTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sanreid-reader-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [SharedDataFact("data/market-mini")]
    public void ReadsARealCropAtTheNetworkInputSize()
    {
        var path = Directory.GetFiles(Path.Combine(SharedData.Require("data/market-mini"), "query")).Order().First();

        var crop = new CropReader().ReadImage(path);
        var chw = ReidTransforms.Eval(crop);

        Assert.Equal((256, 128), (crop.Height, crop.Width));
        Assert.Equal(3 * 256 * 128, chw.Length);
        Assert.True(crop.Pixels.Distinct().Count() > 50, "a real photo has many distinct values");
    }

    [SharedDataFact("data/san-pg-examples")]
    public void ReadsATextureAsASquareMapInMinusOneToOne()
    {
        var path = Directory.GetFiles(Path.Combine(SharedData.Require("data/san-pg-examples"), "textures")).Order().First();

        var texture = new CropReader().ReadTexture(path);
        var chw = ReidTransforms.Texture(texture);

        Assert.Equal((256, 256), (texture.Height, texture.Width));
        Assert.All(chw, v => Assert.InRange(v, -1f, 1f));
        Assert.True(chw.Min() < -0.5f && chw.Max() > 0.5f, "a texture spans dark and bright values");
    }

    [Fact]
    public void AFileThatIsNotAnImageIsAnErrorNamingIt()
    {
        var path = Path.Combine(root, "0001_c1s1_000001_00.jpg");
        File.WriteAllText(path, "not an image");

        var error = Assert.Throws<ReidDatasetException>(() => new CropReader().ReadImage(path));

        Assert.Contains(path, error.Message);
        Assert.IsAssignableFrom<ImageInputException>(error.InnerException);
    }

    [Fact]
    public void AMissingFileIsAnErrorNamingIt()
    {
        var path = Path.Combine(root, "missing.jpg");

        var error = Assert.Throws<ReidDatasetException>(() => new CropReader().ReadTexture(path));

        Assert.Contains(path, error.Message);
    }
}
