using System.Globalization;
using System.Text;

namespace SanReid.Synthesis;

/// <summary>Options of a synthetic re-ID dataset.</summary>
/// <param name="TrainIds">Identities in bounding_box_train (pids 0001..TrainIds).</param>
/// <param name="TestIds">Identities in query and bounding_box_test (pids after the training ones).</param>
/// <param name="Cameras">Number of cameras, 2..15.</param>
/// <param name="Seed">Master seed: the same options give the same bytes.</param>
/// <param name="Distractors">pid 0000 images in bounding_box_test (people outside the labelled set); -1 = one per test identity.</param>
/// <param name="Junk">pid -1 images in bounding_box_test (bad crops: body parts, far too small); -1 = one per two test identities (at least 1).</param>
/// <param name="HardNegativeFraction">Fraction of identities that copy the previous identity's colours and differ in pattern, print or bag.</param>
/// <param name="Disabled">Randomisations switched off (for an ablation); <see cref="Randomisation.None"/> = everything on.</param>
public sealed record ReidOptions(int TrainIds, int TestIds, int Cameras, int Seed, int Distractors = -1, int Junk = -1, double HardNegativeFraction = IdentityCatalog.DefaultHardNegativeFraction, Randomisation Disabled = Randomisation.None);

/// <summary>What <see cref="ReidWriter.Write"/> produced: image counts per folder, and how many images (of all folders) have an occluder.</summary>
public sealed record ReidSummary(int Train, int Query, int Gallery, int Distractors, int Junk, int Occluded = 0);

/// <summary>
/// Writes a synthetic re-ID dataset in the Market-1501 layout (Zheng et al., ICCV 2015):
/// <c>bounding_box_train/</c>, <c>query/</c>, <c>bounding_box_test/</c> with names <c>PPPP_cCsS_FFFFFF_NN.jpg</c>
/// (pid, camera, sequence, frame, box index; pid 0000 = distractor, -1 = junk, written <c>-1_c...</c> as in Market-1501).
/// Every test identity is seen by at least two cameras with at least two images per camera; per test identity and
/// camera the first image is a query and the others go to the gallery, so every query has a gallery match in another
/// camera. <c>textures/&lt;folder&gt;/&lt;name&gt;.png</c> holds each image's true 256x256 texture (lossless PNG: the
/// image's relative path with the top folder prefixed by <c>textures/</c> and <c>.jpg</c> replaced by <c>.png</c>;
/// see <see cref="TexturePathFor"/>). <c>labels.csv</c> lists image,texture,pid,camid for every image.
/// </summary>
public static class ReidWriter
{
    /// <summary>Folder names of the Market-1501 layout.</summary>
    public const string TrainFolder = "bounding_box_train", QueryFolder = "query", GalleryFolder = "bounding_box_test", TextureFolder = "textures";

    /// <summary>The texture path (relative, '/' separated) of an image path relative to the dataset root.</summary>
    /// <exception cref="ArgumentException">The path does not end in .jpg.</exception>
    public static string TexturePathFor(string imageRelativePath)
    {
        ArgumentNullException.ThrowIfNull(imageRelativePath);
        string path = imageRelativePath.Replace('\\', '/');
        if (!path.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"Expected a .jpg image path, got '{imageRelativePath}'.", nameof(imageRelativePath));
        }

        return $"{TextureFolder}/{path[..^4]}.png";
    }

    /// <summary>The Market-1501 file name of one crop; pid -1 is written "-1".</summary>
    /// <exception cref="ArgumentOutOfRangeException">A field does not fit its digits.</exception>
    public static string FileName(int pid, int camera, int sequence, int frame, int box)
    {
        if (pid is < -1 or > 9999)
        {
            throw new ArgumentOutOfRangeException(nameof(pid), pid, "pid must be -1..9999.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(camera, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequence, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sequence, 9);
        ArgumentOutOfRangeException.ThrowIfNegative(frame);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(frame, 999999);
        ArgumentOutOfRangeException.ThrowIfNegative(box);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(box, 99);
        string p = pid < 0 ? "-1" : pid.ToString("D4", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"{p}_c{camera}s{sequence}_{frame:D6}_{box:D2}.jpg");
    }

    /// <summary>Largest accepted number of distractor or junk images.</summary>
    public const int MaxExtras = 100_000;

    /// <summary>Generates the dataset into <paramref name="outDir"/> (created; must be new or empty).</summary>
    /// <remarks>Every option is checked before anything is created; when writing fails part-way, what this call
    /// created is removed again.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">Counts out of range (ids at least 1 each and at most 9999 together,
    /// cameras 2..15, distractors and junk -1 (default) or 0..100000, hard-negative fraction 0..0.9, not NaN).</exception>
    /// <exception cref="IOException">The output folder exists and is not empty.</exception>
    public static ReidSummary Write(string outDir, ReidOptions options, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.TrainIds, 1, nameof(options.TrainIds));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.TestIds, 1, nameof(options.TestIds));
        if ((long)options.TrainIds + options.TestIds > 9999)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "train + test identities must be at most 9999 (4-digit pids).");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(options.Cameras, 2, nameof(options.Cameras));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Cameras, 15, nameof(options.Cameras));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Distractors, -1, nameof(options.Distractors));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Junk, -1, nameof(options.Junk));
        if (!(options.HardNegativeFraction >= 0 && options.HardNegativeFraction <= IdentityCatalog.MaxHardNegativeFraction))
        {
            throw new ArgumentOutOfRangeException(nameof(options.HardNegativeFraction), options.HardNegativeFraction,
                $"Must be in [0, {IdentityCatalog.MaxHardNegativeFraction}].");
        }

        int distractors = options.Distractors < 0 ? options.TestIds : options.Distractors;
        int junk = options.Junk < 0 ? Math.Max(1, options.TestIds / 2) : options.Junk;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(distractors, MaxExtras, nameof(options.Distractors));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(junk, MaxExtras, nameof(options.Junk));
        return OutputFolder.WriteInto(outDir, () => WriteFiles(outDir, options, distractors, junk, progress));
    }

    private static ReidSummary WriteFiles(string outDir, ReidOptions options, int distractors, int junk, Action<int>? progress)
    {
        foreach (string folder in new[] { TrainFolder, QueryFolder, GalleryFolder })
        {
            Directory.CreateDirectory(Path.Combine(outDir, folder));
            Directory.CreateDirectory(Path.Combine(outDir, TextureFolder, folder));
        }

        var context = new WriteContext(outDir, options.Seed, options.Cameras, options.Disabled, progress);
        bool plain = options.Disabled.HasFlag(Randomisation.Textures);
        int train = 0, query = 0, gallery = 0;
        int ids = options.TrainIds + options.TestIds;
        for (int index = 0; index < ids; index++)
        {
            SynthIdentity person = IdentityCatalog.Create(options.Seed, index, 1, options.HardNegativeFraction, plain)[0];
            int pid = index + 1;
            bool isTest = index >= options.TrainIds;
            Random random = Seeds.For(options.Seed, Seeds.Stream.Layout, index);
            int[] cameras = PickCameras(random, options.Cameras, 2 + random.Next(Math.Min(options.Cameras, 6) - 1));
            byte[] texturePng = person.Texture.EncodePng();
            foreach (int camera in cameras)
            {
                int count = isTest ? 2 + random.Next(3) : 1 + random.Next(4);
                int sequence = 1 + random.Next(6);
                int frame = random.Next(1000, 900000);
                double heading = random.NextDouble() * 2 * Math.PI; // the direction the person walks past this camera
                for (int j = 0; j < count; j++)
                {
                    frame += 5 + random.Next(120);
                    string folder = !isTest ? TrainFolder : j == 0 ? QueryFolder : GalleryFolder;
                    long item = ((long)index << 20) | ((long)camera << 12) | (uint)j;
                    context.Render(folder, pid, camera, sequence, frame, random.NextDouble() < 0.1 ? 1 : 0, person, texturePng, item, heading, Framing.Normal);
                    _ = folder == TrainFolder ? train++ : folder == QueryFolder ? query++ : gallery++;
                }
            }
        }

        // Distractors (pid 0000): other people, often badly framed; junk (pid -1): crops that are not a usable person.
        for (int d = 0; d < distractors + junk; d++)
        {
            bool isJunk = d >= distractors;
            SynthIdentity person = IdentityCatalog.Create(options.Seed, ids + d, 1, 0, plain)[0];
            Random random = Seeds.For(options.Seed, Seeds.Stream.Layout, ids + d);
            int camera = 1 + random.Next(options.Cameras);
            long item = ((long)(ids + d) << 20) | ((long)camera << 12);
            Framing framing = isJunk ? (random.NextDouble() < 0.5 ? Framing.Fragment : Framing.Tiny) : Framing.Loose;
            context.Render(GalleryFolder, isJunk ? -1 : 0, camera, 1 + random.Next(6), random.Next(1000, 990000), 0, person, person.Texture.EncodePng(), item, random.NextDouble() * 2 * Math.PI, framing);
        }

        File.WriteAllText(Path.Combine(outDir, "labels.csv"), context.Labels.ToString());
        return new ReidSummary(train, query, gallery, distractors, junk, context.Occluded);
    }

    private static int[] PickCameras(Random random, int cameras, int count)
    {
        var all = Enumerable.Range(1, cameras).ToArray();
        for (int i = 0; i < count; i++)
        {
            int j = i + random.Next(cameras - i);
            (all[i], all[j]) = (all[j], all[i]);
        }

        return all.Take(count).Order().ToArray();
    }

    private enum Framing { Normal, Loose, Fragment, Tiny }

    private sealed class WriteContext(string outDir, int seed, int cameras, Randomisation disabled, Action<int>? progress)
    {
        private readonly PersonSynthesizer _synthesizer = new();
        private readonly CameraLook[] _looks = Enumerable.Range(0, cameras + 1)
            .Select(c => disabled.HasFlag(Randomisation.CameraLook) ? CameraLook.None : CameraLook.Sample(Seeds.For(seed, Seeds.Stream.Camera, c))).ToArray();
        private readonly HashSet<string> _names = [];
        private int _written;

        public StringBuilder Labels { get; } = new("image,texture,pid,camid\n");

        public int Occluded { get; private set; }

        public void Render(string folder, int pid, int camera, int sequence, int frame, int box, SynthIdentity person, byte[] texturePng, long item, double heading, Framing framing)
        {
            string name = ReidWriter.FileName(pid, camera, sequence, frame, box);
            while (!_names.Add($"{folder}/{name}"))
            {
                frame = (frame + 1) % 1000000;
                name = ReidWriter.FileName(pid, camera, sequence, frame, box);
            }

            Random random = Seeds.For(seed, Seeds.Stream.Image, item);
            SceneParams scene = SceneParams.Sample(random, disabled.HasFlag(Randomisation.BodyShape) ? BodyShape.Average : person.Shape);
            scene = scene with { Yaw = heading + (random.NextDouble() - 0.5) * 0.8 };
            scene = disabled.HasFlag(Randomisation.CropJitter) ? scene.Centred() : scene;
            scene = disabled.HasFlag(Randomisation.Lighting) ? scene.FixedLight() : scene;
            scene = framing switch
            {
                Framing.Loose => scene with { Fill = 0.6 + random.NextDouble() * 0.6, OffsetX = (random.NextDouble() - 0.5) * 70, OffsetY = (random.NextDouble() - 0.5) * 80 },
                Framing.Fragment => scene with { Fill = 1.8 + random.NextDouble() * 1.5, OffsetY = (random.NextDouble() - 0.5) * 300 },
                Framing.Tiny => scene with { Fill = 0.2 + random.NextDouble() * 0.2, OffsetX = (random.NextDouble() - 0.5) * 60 },
                _ => scene,
            };
            // A camera watches one place: its background varies among a few layouts of the same scene.
            int background = Seeds.Derive(seed, Seeds.Stream.Background, camera * 64 + random.Next(8));
            CameraLook look = _looks[camera];
            // Occluders draw from their own stream, so switching them off changes nothing else in the image.
            Random occlusion = Seeds.For(seed, Seeds.Stream.Occluder, item);
            int? occluder = !disabled.HasFlag(Randomisation.Occlusion) && occlusion.NextDouble() < Occluder.Probability ? occlusion.Next() : null;
            RgbImage image = _synthesizer.Render(person.Texture, scene, look, background, random.Next(), occluder, disabled.HasFlag(Randomisation.Backgrounds));
            Occluded += _synthesizer.LastOcclusion > 0 ? 1 : 0;
            string relative = $"{folder}/{name}";
            string texture = TexturePathFor(relative);
            File.WriteAllBytes(Path.Combine(outDir, relative), image.EncodeJpeg(look.JpegQuality));
            File.WriteAllBytes(Path.Combine(outDir, texture), texturePng);
            Labels.Append(CultureInfo.InvariantCulture, $"{relative},{texture},{pid},{camera}\n");
            progress?.Invoke(++_written);
        }
    }
}
