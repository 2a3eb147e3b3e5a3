using System.Globalization;
using System.Text;

namespace SanReid.Synthesis;

/// <summary>What <see cref="PitWriter.Write"/> produced.</summary>
/// <param name="Images">Number of person images written.</param>
/// <param name="Textures">Number of texture images written.</param>
/// <param name="PairsFile">Full path of the pairs list.</param>
public sealed record PitSummary(int Images, int Textures, string PairsFile);

/// <summary>
/// Writes a PIT-style paired image-texture set (SAN, AAAI 2020, Sec. 3.3: textures rendered on posed bodies), our
/// synthetic stand-in for PIT:
/// <c>images/IIIII_PP.jpg</c> (128x256 person crops, identity IIIII in pose PP),
/// <c>textures/IIIII.png</c> (256x256 UV textures, lossless), <c>pairs.csv</c> with header
/// <c>image,texture,identity</c> and one row per image (paths relative to the output folder, '/' separated), and the
/// same pairs as <c>pairs.txt</c> ("image texture" per line), the list format of
/// the Trainer's <c>PairedTextureList.Load</c> for SAN-PG training.
/// </summary>
public static class PitWriter
{
    /// <summary>Name of the pairs list in the output folder.</summary>
    public const string PairsFileName = "pairs.csv";

    /// <summary>Name of the two-column list (image and texture per line) read by the Trainer's <c>PairedTextureList.Load</c>.</summary>
    public const string ListFileName = "pairs.txt";

    /// <summary>
    /// Renders <paramref name="textures"/> identities x <paramref name="poses"/> images into <paramref name="outDir"/>.
    /// Pose k of every identity uses gait phase 2 pi k / poses; yaw, build, view, light, background and camera look are
    /// drawn per image from <paramref name="seed"/>. The same arguments give the same bytes.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">textures not in 1..99999 or poses not in 1..99.</exception>
    /// <exception cref="IOException">The output folder exists and is not empty. When writing fails part-way, what this
    /// call created is removed again.</exception>
    public static PitSummary Write(string outDir, int textures, int poses, int seed, Action<int, int>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(textures, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(textures, 99999);
        ArgumentOutOfRangeException.ThrowIfLessThan(poses, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(poses, 99);
        return OutputFolder.WriteInto(outDir, () => WriteFiles(outDir, textures, poses, seed, progress));
    }

    private static PitSummary WriteFiles(string outDir, int textures, int poses, int seed, Action<int, int>? progress)
    {
        Directory.CreateDirectory(Path.Combine(outDir, "images"));
        Directory.CreateDirectory(Path.Combine(outDir, "textures"));
        var pairs = new StringBuilder("image,texture,identity\n");
        var list = new StringBuilder();
        var synthesizer = new PersonSynthesizer();
        int total = textures * poses, done = 0;
        for (int id = 0; id < textures; id++)
        {
            SynthIdentity person = IdentityCatalog.Create(seed, id, 1)[0];
            string texture = $"textures/{id:D5}.png";
            File.WriteAllBytes(Path.Combine(outDir, texture), person.Texture.EncodePng());
            for (int pose = 0; pose < poses; pose++)
            {
                Random random = Seeds.For(seed, Seeds.Stream.Image, (long)id * 100 + pose);
                SceneParams scene = SceneParams.Sample(random, person.Shape);
                scene = scene with { Pose = scene.Pose with { Phase = 2 * Math.PI * pose / poses } };
                CameraLook look = CameraLook.Sample(random);
                RgbImage image = synthesizer.Render(person.Texture, scene, look, random.Next(), random.Next());
                string name = $"images/{id:D5}_{pose:D2}.jpg";
                File.WriteAllBytes(Path.Combine(outDir, name), image.EncodeJpeg(look.JpegQuality));
                pairs.Append(CultureInfo.InvariantCulture, $"{name},{texture},{id}\n");
                list.Append(CultureInfo.InvariantCulture, $"{name} {texture}\n");
                progress?.Invoke(++done, total);
            }
        }

        string pairsFile = Path.Combine(outDir, PairsFileName);
        File.WriteAllText(pairsFile, pairs.ToString());
        File.WriteAllText(Path.Combine(outDir, ListFileName), list.ToString());
        return new PitSummary(total, textures, Path.GetFullPath(pairsFile));
    }
}
