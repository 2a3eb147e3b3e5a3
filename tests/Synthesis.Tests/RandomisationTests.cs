using SanReid.Synthesis;

namespace SanReid.Synthesis.Tests;

/// <summary>Each switch of <c>synth reid --disable</c> changes the data the way its documentation says.</summary>
public class RandomisationTests
{
    private static readonly Randomisation Everything = RandomisationNames.Parse("all");

    [Fact]
    public void ParseReadsACommaListCaseInsensitivelyAndAllSetsEveryFlag()
    {
        Assert.Equal(Randomisation.Occlusion | Randomisation.CameraLook, RandomisationNames.Parse(" Occlusion, camera-look ,"));
        Assert.Equal(Randomisation.None, RandomisationNames.Parse(""));
        Assert.Equal(Randomisation.None, RandomisationNames.Parse(null));
        Assert.Equal(RandomisationNames.All.Count, RandomisationNames.All.Select(n => n.Flag).Distinct().Count());
        foreach ((string name, Randomisation flag) in RandomisationNames.All)
        {
            Assert.True(Everything.HasFlag(flag), name);
            Assert.Equal(name, RandomisationNames.Format(RandomisationNames.Parse(name)));
        }
    }

    [Fact]
    public void ParseRefusesAnUnknownNameNamingItAndListingTheValidOnes()
    {
        var error = Assert.Throws<FormatException>(() => RandomisationNames.Parse("textures,occluson"));
        Assert.Contains("'occluson'", error.Message, StringComparison.Ordinal);
        Assert.Contains("textures, backgrounds, occlusion, crop-jitter, camera-look", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OcclusionOffLeavesNoCropOccludedAndChangesOnlyTheImagesThatHadAnOccluder()
    {
        using var temp = new TempFolder();
        var on = new ReidOptions(TrainIds: 4, TestIds: 3, Cameras: 3, Seed: 11);
        ReidSummary withOcclusion = ReidWriter.Write(temp.Sub("on"), on);
        ReidSummary without = ReidWriter.Write(temp.Sub("off"), on with { Disabled = Randomisation.Occlusion });

        int images = withOcclusion.Train + withOcclusion.Query + withOcclusion.Gallery + withOcclusion.Distractors + withOcclusion.Junk;
        Assert.Equal(0, without.Occluded);
        // 30 % of about 40 images: 12 expected; 0 or all would mean the draw is broken.
        Assert.InRange(withOcclusion.Occluded, 1, images - 1);

        int changedImages = 0;
        foreach (string file in Files(temp.Sub("on")))
        {
            bool same = File.ReadAllBytes(Path.Combine(temp.Sub("on"), file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(temp.Sub("off"), file)));
            if (file.StartsWith(ReidWriter.TextureFolder, StringComparison.Ordinal) || file == "labels.csv")
            {
                Assert.True(same, $"{file}: an occluder must not change the true texture or the labels");
            }
            else if (!same)
            {
                changedImages++;
            }
        }

        Assert.Equal(withOcclusion.Occluded, changedImages);
    }

    [Fact]
    public void AnOccluderCoversRoughlyTenToFortyPercentOfTheCrop()
    {
        const int width = 128, height = 256;
        var covers = new List<double>();
        for (int seed = 0; seed < 400; seed++)
        {
            var rgb = new float[width * height * 3];
            covers.Add(Occluder.Paint(new Random(seed), rgb, width, height));
        }

        // The target is 10-40 %; shapes that reach past the crop's edge cover a little less.
        Assert.InRange(covers.Min(), 0.04, 0.2);
        Assert.InRange(covers.Max(), 0.3, 0.5);
        Assert.InRange(covers.Average(), 0.15, 0.3);
    }

    [Fact]
    public void TexturesOffGivesPlainClothingAndHardNegativesStillDifferFromTheirPartner()
    {
        SynthIdentity[] plain = IdentityCatalog.Create(seed: 3, first: 0, count: 60, hardNegativeFraction: 0.5, plainClothing: true);
        SynthIdentity[] full = IdentityCatalog.Create(seed: 3, first: 0, count: 60, hardNegativeFraction: 0.5);

        Assert.Contains(full, p => p.Spec.Pattern != TopPattern.Plain || p.Spec.FrontPrint != PrintShape.None);
        Assert.All(plain, p => Assert.Equal((TopPattern.Plain, PrintShape.None, PrintShape.None), (p.Spec.Pattern, p.Spec.FrontPrint, p.Spec.BackPrint)));
        Assert.Contains(plain, p => p.HardNegativeOf >= 0);
        foreach (SynthIdentity p in plain.Where(p => p.HardNegativeOf >= 0))
        {
            Assert.False(p.Texture.Pixels.AsSpan().SequenceEqual(plain[p.HardNegativeOf].Texture.Pixels), "a plain hard negative must not be its partner's twin");
        }

        for (int i = 0; i < plain.Length; i++)
        {
            Assert.Equal(full[i].Shape, plain[i].Shape); // only the clothing changes
            Assert.Equal(full[i].Spec.Top, plain[i].Spec.Top);
        }
    }

    [Fact]
    public void RandomTexturesAppearInTheCatalogueAndDependOnTheIdentitysDetailSeed()
    {
        SynthIdentity[] people = IdentityCatalog.Create(seed: 2, first: 0, count: 300, hardNegativeFraction: 0);
        foreach (TopPattern pattern in Enum.GetValues<TopPattern>())
        {
            Assert.Contains(people, p => p.Spec.Pattern == pattern);
        }

        AtlasRect torso = UvAtlas.Region(BodyPart.Torso, SurfaceSide.Front);
        foreach (TopPattern pattern in new[] { TopPattern.Noise, TopPattern.Patches })
        {
            IdentitySpec spec = people.First(p => p.Spec.Pattern == pattern).Spec with { FrontPrint = PrintShape.None, Bag = BagKind.None };
            RgbImage a = TexturePainter.Paint(spec), b = TexturePainter.Paint(spec with { DetailSeed = spec.DetailSeed + 1 });
            int topColoured = 0, secondaryColoured = 0, differing = 0;
            for (int y = torso.Y + 16; y < torso.Y + 70; y++)
            {
                for (int x = torso.X; x < torso.X + torso.Width; x++)
                {
                    // Grain scales a colour by at most 4 %, so a texel within 16 of a colour's channels is that colour.
                    topColoured += Near(a.Get(x, y), spec.Top) ? 1 : 0;
                    secondaryColoured += Near(a.Get(x, y), spec.TopSecondary) ? 1 : 0;
                    differing += a.Get(x, y) != b.Get(x, y) ? 1 : 0;
                }
            }

            int texels = 54 * torso.Width;
            Assert.True(topColoured > texels / 10 && secondaryColoured > texels / 20, $"{pattern}: top {topColoured}, secondary {secondaryColoured} of {texels}");
            Assert.True(differing > texels / 5, $"{pattern}: another detail seed changed only {differing} of {texels} texels");
        }
    }

    private static bool Near(Rgb a, Rgb b) => Math.Abs(a.R - b.R) <= 16 && Math.Abs(a.G - b.G) <= 16 && Math.Abs(a.B - b.B) <= 16;

    [Fact]
    public void BackgroundsAndCameraLookOffGiveOneFlatGreyBackgroundThatTheCameraLookThenChanges()
    {
        using var temp = new TempFolder();
        var options = new ReidOptions(TrainIds: 3, TestIds: 2, Cameras: 4, Seed: 5, Distractors: 0, Junk: 0);
        ReidWriter.Write(temp.Sub("flat"), options with { Disabled = Randomisation.Backgrounds | Randomisation.CameraLook | Randomisation.Occlusion });
        ReidWriter.Write(temp.Sub("looks"), options with { Disabled = Randomisation.Backgrounds | Randomisation.Occlusion });

        // Top-left 2x2 corner: background in every crop (the person is centred with jitter of at most 12.8 px).
        double[] flat = Corners(temp.Sub("flat")), looks = Corners(temp.Sub("looks"));
        Assert.All(flat, v => Assert.InRange(v, Background.PlainGrey - 4, Background.PlainGrey + 4)); // JPEG q95 error only
        Assert.True(looks.Max() - looks.Min() > 10, $"camera looks should cast the flat grey differently, got {looks.Min():F0}..{looks.Max():F0}");
    }

    [Fact]
    public void CropJitterOffCentresEveryBoxAndOnItLoosensTightensAndShiftsThem()
    {
        var random = new Random(8);
        SceneParams[] scenes = Enumerable.Range(0, 2000).Select(_ => SceneParams.Sample(random, BodyShape.Average)).ToArray();

        Assert.InRange(scenes.Min(s => s.Fill), 0.82, 0.84);
        Assert.InRange(scenes.Max(s => s.Fill), 1.08, 1.12); // tight boxes cut head or feet
        Assert.InRange(scenes.Count(s => s.Fill > 1), 200, 400); // about half of the 20 % tight ones
        Assert.InRange(scenes.Max(s => Math.Abs(s.OffsetX)), 10, 12.8);
        Assert.InRange(scenes.Max(s => Math.Abs(s.OffsetY)), 20, 25.6);
        Assert.All(scenes.Select(s => s.Centred()), s => Assert.Equal((SceneParams.CentredFill, 0.0, 0.0), (s.Fill, s.OffsetX, s.OffsetY)));
    }

    [Fact]
    public void EveryRandomisationOffStillGivesAValidDataset()
    {
        using var temp = new TempFolder();
        string root = temp.Sub("plain");
        ReidSummary summary = ReidWriter.Write(root, new ReidOptions(TrainIds: 3, TestIds: 2, Cameras: 2, Seed: 4, Disabled: Everything));

        string[] labels = File.ReadAllLines(Path.Combine(root, "labels.csv"));
        Assert.Equal(summary.Train + summary.Query + summary.Gallery + summary.Distractors + summary.Junk, labels.Length - 1);
        Assert.Equal(0, summary.Occluded);
        Assert.True(summary.Query > 0 && summary.Gallery > 0 && summary.Train > 0);
        foreach (string row in labels.Skip(1))
        {
            string[] fields = row.Split(',');
            RgbImage image = RgbImage.Load(Path.Combine(root, fields[0]));
            Assert.Equal((Renderer.Width, Renderer.Height), (image.Width, image.Height));
            Assert.Equal((UvAtlas.Size, UvAtlas.Size), (RgbImage.Load(Path.Combine(root, fields[1])).Width, UvAtlas.Size));
        }
    }

    [Fact]
    public void SwitchingOffOneRandomisationChangesTheImagesOfThatAblation()
    {
        using var temp = new TempFolder();
        var options = new ReidOptions(TrainIds: 2, TestIds: 1, Cameras: 2, Seed: 6, Distractors: 0, Junk: 0);
        ReidWriter.Write(temp.Sub("all-on"), options);
        string reference = Path.Combine(temp.Sub("all-on"), ReidWriter.TrainFolder);
        foreach ((string name, Randomisation flag) in RandomisationNames.All.Where(n => n.Flag != Randomisation.Occlusion))
        {
            ReidWriter.Write(temp.Sub(name), options with { Disabled = flag });
            string folder = Path.Combine(temp.Sub(name), ReidWriter.TrainFolder);
            Assert.Equal(Directory.GetFiles(reference).Select(Path.GetFileName), Directory.GetFiles(folder).Select(Path.GetFileName));
            int differing = Directory.GetFiles(reference).Count(f => !File.ReadAllBytes(f).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(folder, Path.GetFileName(f)))));
            Assert.True(differing > 0, $"--disable {name} changed no training image");
        }
    }

    private static double[] Corners(string root) =>
        File.ReadAllLines(Path.Combine(root, "labels.csv")).Skip(1).Select(row =>
        {
            RgbImage image = RgbImage.Load(Path.Combine(root, row.Split(',')[0]));
            double sum = 0;
            for (int y = 0; y < 2; y++)
            {
                for (int x = 0; x < 2; x++)
                {
                    sum += image.Get(x, y).Luma;
                }
            }

            return sum / 4;
        }).ToArray();

    private static IEnumerable<string> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'));
}
