using SanReid.Synthesis;

namespace SanReid.Synthesis.Tests;

/// <summary>The UV texture is densely aligned: a pixel's surface point depends on pose and view, never on identity.</summary>
public class AlignmentTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(75)]
    [InlineData(200)]
    public void TwoIdentitiesWithSamePoseAndViewSampleSameSurfacePointAtEveryPixel(double yaw)
    {
        SynthIdentity[] people = IdentityCatalog.Create(seed: 11, first: 0, count: 2);
        SceneParams scene = RenderTestScenes.Walking(yaw) with { Shape = people[0].Shape };

        (RgbImage imageA, SurfaceMap a) = RenderTestScenes.Render(people[0].Texture, scene);
        (RgbImage imageB, SurfaceMap b) = RenderTestScenes.Render(people[1].Texture, scene);

        int body = a.Region.Count(r => r >= 0);
        Assert.True(body > 3000, $"body covers only {body} pixels");
        Assert.Equal(a.Region, b.Region);
        Assert.Equal(a.U, b.U);
        Assert.Equal(a.V, b.V);
        // Same surface points, different people: the colours at body pixels must differ somewhere.
        int differing = Enumerable.Range(0, a.Region.Length).Count(i => a.Region[i] >= 0 && imageA.Pixels[i * 3] != imageB.Pixels[i * 3]);
        Assert.True(differing > body / 10, $"only {differing} of {body} body pixels differ between two identities");
    }

    [Fact]
    public void FacingCameraShowsFrontTorsoAndTurnedAwayShowsBackTorso()
    {
        RgbImage texture = RenderTestScenes.FlatRegions(out _);
        // Camera level with the chest: no view of the shoulders' tops, so the far half of the torso is fully hidden.
        SceneParams level = RenderTestScenes.Walking(0) with { Pose = WalkPose.Standing, CameraHeight = 1.2 };
        (_, SurfaceMap facing) = RenderTestScenes.Render(texture, level);
        (_, SurfaceMap away) = RenderTestScenes.Render(texture, level with { Yaw = Math.PI });

        int Count(SurfaceMap map, BodyPart part, SurfaceSide side) => map.Region.Count(r => r == UvAtlas.RegionIndex(part, side));
        Assert.True(Count(facing, BodyPart.Torso, SurfaceSide.Front) > 1000);
        Assert.Equal(0, Count(facing, BodyPart.Torso, SurfaceSide.Back)); // hidden behind the front: z-buffer
        Assert.True(Count(away, BodyPart.Torso, SurfaceSide.Back) > 1000);
        Assert.Equal(0, Count(away, BodyPart.Torso, SurfaceSide.Front));
        Assert.True(Count(facing, BodyPart.Head, SurfaceSide.Front) > Count(facing, BodyPart.Head, SurfaceSide.Back));
    }

    [Fact]
    public void CameraAboveSeesOnlyASliverOfTheFarSideOnTheShoulders()
    {
        RgbImage texture = RenderTestScenes.FlatRegions(out _);
        (_, SurfaceMap map) = RenderTestScenes.Render(texture, RenderTestScenes.Walking(0));
        int front = map.Region.Count(r => r == UvAtlas.RegionIndex(BodyPart.Torso, SurfaceSide.Front));
        int[] back = Enumerable.Range(0, map.Region.Length).Where(i => map.Region[i] == UvAtlas.RegionIndex(BodyPart.Torso, SurfaceSide.Back)).ToArray();
        Assert.True(back.Length < front / 20, $"{back.Length} back pixels against {front} front pixels");
        Assert.All(back, i => Assert.True(map.V[i] < 0.15, "far side seen below the shoulders' top"));
    }

    [Fact]
    public void PersonsLeftArmAppearsOnImageRightWhenFacingCameraAndOnImageLeftFromBehind()
    {
        RgbImage texture = RenderTestScenes.FlatRegions(out _);
        (_, SurfaceMap facing) = RenderTestScenes.Render(texture, RenderTestScenes.Walking(0));
        (_, SurfaceMap away) = RenderTestScenes.Render(texture, RenderTestScenes.Walking(180));

        double MeanX(SurfaceMap map, BodyPart part) => RenderTestScenes.PixelsOf(map, part).Average(i => i % Renderer.Width);
        Assert.True(MeanX(facing, BodyPart.UpperArmLeft) > Renderer.Width / 2.0);
        Assert.True(MeanX(facing, BodyPart.UpperArmRight) < Renderer.Width / 2.0);
        Assert.True(MeanX(away, BodyPart.UpperArmLeft) < Renderer.Width / 2.0);
        Assert.True(MeanX(away, BodyPart.UpperArmRight) > Renderer.Width / 2.0);
    }

    [Fact]
    public void FrontTextureReadsLikeAPhotoOfThePersonFacingTheCamera()
    {
        // At yaw 0 the front torso's u grows from image left to image right, and v grows from top to bottom.
        RgbImage texture = RenderTestScenes.FlatRegions(out _);
        (_, SurfaceMap map) = RenderTestScenes.Render(texture, RenderTestScenes.Walking(0));
        int torsoFront = UvAtlas.RegionIndex(BodyPart.Torso, SurfaceSide.Front);
        int[] pixels = Enumerable.Range(0, map.Region.Length).Where(i => map.Region[i] == torsoFront).ToArray();

        double Correlation(Func<int, double> a, Func<int, double> b)
        {
            double ma = pixels.Average(a), mb = pixels.Average(b);
            double cov = pixels.Sum(i => (a(i) - ma) * (b(i) - mb));
            return cov / Math.Sqrt(pixels.Sum(i => (a(i) - ma) * (a(i) - ma)) * pixels.Sum(i => (b(i) - mb) * (b(i) - mb)));
        }

        Assert.True(Correlation(i => i % Renderer.Width, i => map.U[i]) > 0.9);
        Assert.True(Correlation(i => i / Renderer.Width, i => map.V[i]) > 0.9);
    }

    [Fact]
    public void NearArmHidesFarArmInSideView()
    {
        // Yaw -90 deg (270) turns the person's left side towards the camera.
        RgbImage texture = RenderTestScenes.FlatRegions(out _);
        SceneParams side = RenderTestScenes.Walking(270) with { Pose = WalkPose.Standing };
        (_, SurfaceMap map) = RenderTestScenes.Render(texture, side);

        int near = RenderTestScenes.PixelsOf(map, BodyPart.UpperArmLeft).Count();
        int far = RenderTestScenes.PixelsOf(map, BodyPart.UpperArmRight).Count();
        Assert.True(near > 150, $"near arm covers {near} pixels");
        Assert.True(far < near / 4, $"far arm shows {far} pixels against the near arm's {near}");
    }

    [Fact]
    public void EveryAtlasRegionIsSeenFromSomeViewAndPose()
    {
        RgbImage texture = RenderTestScenes.FlatRegions(out _);
        var seen = new HashSet<int>();
        foreach (double yaw in new[] { 0.0, 45, 90, 135, 180, 225, 270, 315 })
        {
            foreach (double phase in new[] { 0.0, Math.PI / 2, Math.PI, 3 * Math.PI / 2 })
            {
                // From well above, so the upper side of the feet shows too.
                SceneParams scene = RenderTestScenes.Walking(yaw) with { Pose = new WalkPose(phase, 1), CameraHeight = 5, CameraDistance = 5 };
                (_, SurfaceMap map) = RenderTestScenes.Render(texture, scene);
                seen.UnionWith(map.Region.Where(r => r >= 0).Select(r => (int)r));
            }
        }

        int[] missing = Enumerable.Range(0, UvAtlas.RegionCount).Where(r => !seen.Contains(r)).ToArray();
        Assert.True(missing.Length == 0, "never seen: " + string.Join(", ", missing.Select(r => $"{UvAtlas.PartOf(r)}/{UvAtlas.SideOf(r)}")));
    }

    [Fact]
    public void AtlasRegionsDoNotOverlapAndFitTheTexture()
    {
        var owner = new int[UvAtlas.Size, UvAtlas.Size];
        for (int region = 0; region < UvAtlas.RegionCount; region++)
        {
            AtlasRect rect = UvAtlas.Region(region);
            Assert.InRange(rect.X, 0, UvAtlas.Size - rect.Width);
            Assert.InRange(rect.Y, 0, UvAtlas.Size - rect.Height);
            for (int y = rect.Y; y < rect.Y + rect.Height; y++)
            {
                for (int x = rect.X; x < rect.X + rect.Width; x++)
                {
                    Assert.True(owner[x, y] == 0, $"texel ({x},{y}) in regions {owner[x, y] - 1} and {region}");
                    owner[x, y] = region + 1;
                }
            }
        }
    }
}
