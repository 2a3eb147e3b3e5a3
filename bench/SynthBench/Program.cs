using System.Diagnostics;
using System.Globalization;
using SanReid.Synthesis;

// synth-bench [images] [seed]: single-threaded speed of the synthetic renderer at 256x128.
// Prints images/s (median of three rounds) for (1) render only (background + body + camera look), (2) render + JPEG encode,
// (3) texture painting. One thread, so the figure is "per core".
int count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
int seed = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1;
if (count < 1)
{
    Console.Error.WriteLine("images must be at least 1");
    return 2;
}

SynthIdentity[] people = IdentityCatalog.Create(seed, 0, 50);
var synthesizer = new PersonSynthesizer();

// Warm-up: JIT and tiered compilation.
for (int i = 0; i < 200; i++)
{
    Render(i).EncodeJpeg(90);
}

// Three rounds each; the median is printed (the machine may be shared, so single rounds are noisy).
long checksum = 0, bytes = 0;
var renderRates = new List<double>();
var jpegRates = new List<double>();
var watch = new Stopwatch();
for (int round = 0; round < 3; round++)
{
    watch.Restart();
    for (int i = 0; i < count; i++)
    {
        checksum += Render(i).Pixels[i % 1000];
    }

    renderRates.Add(count / watch.Elapsed.TotalSeconds);
    watch.Restart();
    bytes = 0;
    for (int i = 0; i < count; i++)
    {
        bytes += Render(i).EncodeJpeg(90).Length;
    }

    jpegRates.Add(count / watch.Elapsed.TotalSeconds);
}

double renderRate = Median(renderRates), jpegRate = Median(jpegRates);

int textureCount = Math.Max(20, count / 10);
watch.Restart();
for (int i = 0; i < textureCount; i++)
{
    checksum += TexturePainter.Paint(IdentitySpec.Generate(new Random(i))).Pixels[i % 1000];
}

double textureRate = textureCount / watch.Elapsed.TotalSeconds;

Console.WriteLine($"synth-bench: {count} images 256x128, 1 thread, {Environment.ProcessorCount} logical CPUs on the machine");
Console.WriteLine($"  render (background + body + camera look): {renderRate,8:F1} images/s  (median of 3 rounds: {string.Join(", ", renderRates.Select(r => r.ToString("F1", CultureInfo.InvariantCulture)))})");
Console.WriteLine($"  render + JPEG encode (quality 90):        {jpegRate,8:F1} images/s  (median of 3 rounds: {string.Join(", ", jpegRates.Select(r => r.ToString("F1", CultureInfo.InvariantCulture)))}; mean {bytes / count} bytes)");
Console.WriteLine($"  texture painting 256x256:                 {textureRate,8:F1} textures/s");
Console.WriteLine($"  (checksum {checksum})");
return 0;

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

RgbImage Render(int i)
{
    Random random = Seeds.For(seed, Seeds.Stream.Image, i);
    SynthIdentity person = people[i % people.Length];
    SceneParams scene = SceneParams.Sample(random, person.Shape);
    CameraLook look = CameraLook.Sample(random);
    int? occluder = random.NextDouble() < Occluder.Probability ? random.Next() : null; // as synth reid draws them
    return synthesizer.Render(person.Texture, scene, look, random.Next(), random.Next(), occluder);
}
