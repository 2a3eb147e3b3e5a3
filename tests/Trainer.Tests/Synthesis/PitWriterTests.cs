using SanReid.Synthesis;
using SanReid.Synthesis.Tests;
using SanReid.Trainer.Data;

namespace SanReid.Trainer.Tests.Synthesis;

public class PitWriterTests
{
    [Fact]
    public void PairsListNamesEveryImageWithItsTextureAndIdentity()
    {
        using var temp = new TempFolder();
        string root = temp.Sub("pit");
        PitSummary summary = PitWriter.Write(root, textures: 3, poses: 4, seed: 5);

        string[] rows = File.ReadAllLines(Path.Combine(root, PitWriter.PairsFileName));
        Assert.Equal("image,texture,identity", rows[0]);
        Assert.Equal(12, rows.Length - 1);
        Assert.Equal(12, summary.Images);
        foreach (string row in rows.Skip(1))
        {
            string[] fields = row.Split(',');
            RgbImage image = RgbImage.Load(Path.Combine(root, fields[0]));
            RgbImage texture = RgbImage.Load(Path.Combine(root, fields[1]));
            Assert.Equal((128, 256), (image.Width, image.Height));
            Assert.Equal((256, 256), (texture.Width, texture.Height));
            Assert.Equal($"textures/{int.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture):D5}.png", fields[1]);
        }

        Assert.Equal(3, rows.Skip(1).Select(r => r.Split(',')[1]).Distinct().Count());
    }

    [Fact]
    public void TrainersPairedListLoaderReadsTheTwoColumnList()
    {
        using var temp = new TempFolder();
        string root = temp.Sub("pit");
        PitWriter.Write(root, textures: 2, poses: 3, seed: 6);

        IReadOnlyList<TexturePair> pairs = PairedTextureList.Load(Path.Combine(root, PitWriter.ListFileName));
        Assert.Equal(6, pairs.Count);
        Assert.Equal(Path.Combine(root, "images", "00001_02.jpg"), pairs[5].ImagePath);
        Assert.Equal(Path.Combine(root, "textures", "00001.png"), pairs[5].TexturePath);
    }

    [Fact]
    public void TextureFileIsTheLosslessPaintedTexture()
    {
        using var temp = new TempFolder();
        string root = temp.Sub("pit");
        PitWriter.Write(root, textures: 2, poses: 1, seed: 8);
        SynthIdentity second = IdentityCatalog.Create(seed: 8, first: 1, count: 1)[0];
        Assert.Equal(second.Texture.Pixels, RgbImage.Load(Path.Combine(root, "textures", "00001.png")).Pixels);
    }
}
