using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using SanReid.Api.Extensions;
using SanReid.Imaging;
using SanReid.Inference;

// int8 against fp32 embeddings/s in one process: the same crops, the Api's OnnxEmbedder on ONNX Runtime's CPU provider,
// batch 1 and 8, the two models measured in alternating rounds so that a busy shared machine slows both alike.
// Usage: dotnet run --project bench/QuantBench -c Release -- [--images N] [--rounds R] [--model FP32.onnx] [--int8 INT8.onnx] [--threads T]
// The int8 model defaults to <model>-int8.onnx (scripts/ensure-model.sh makes the default model's; for another model:
// sanreid-train quantize --model M.onnx --calibration DIR --out M-int8.onnx).

namespace SanReid.QuantBench;

internal static class BenchProgram
{
    public static int Main(string[] args)
    {
        var opts = ParseArgs(args);
        var inv = CultureInfo.InvariantCulture;
        int images = int.Parse(opts.GetValueOrDefault("images", "64"), inv);
        int rounds = int.Parse(opts.GetValueOrDefault("rounds", "3"), inv);
        int threads = int.Parse(opts.GetValueOrDefault("threads", "0"), inv);
        string root = ContentPaths.FindRepoRoot(AppContext.BaseDirectory) ?? Directory.GetCurrentDirectory();
        string fp32Path = ContentPaths.Resolve(opts.GetValueOrDefault("model", "models/sanreid-resnet18-synth.onnx"), root);
        string int8Path = ContentPaths.Resolve(opts.GetValueOrDefault("int8", Path.ChangeExtension(fp32Path, null) + "-int8.onnx"), root);
        if (images < 8 || rounds < 1)
        {
            Console.Error.WriteLine("error: --images must be at least 8 and --rounds at least 1.");
            return 2;
        }

        foreach (var path in new[] { fp32Path, int8Path })
        {
            if (!File.Exists(path))
            {
                Console.Error.WriteLine($"error: {path} not found. scripts/ensure-model.sh makes the default model and its int8 twin; for another model run " +
                                        "`sanreid-train quantize --model M.onnx --calibration DIR --out M-int8.onnx`.");
                return 1;
            }
        }

        Console.WriteLine($"command: dotnet run --project bench/QuantBench -c Release -- --images {images} --rounds {rounds} --threads {threads} --model {Rel(fp32Path, root)} --int8 {Rel(int8Path, root)}");
        Console.WriteLine($"machine: {CpuModel()}, {Environment.ProcessorCount} logical cores; uptime: {Uptime()}");

        using var fp32 = new OnnxEmbedder(fp32Path, new OnnxEmbedderOptions { ExecutionProvider = "cpu", IntraOpThreads = threads, MaxBatchSize = 8 }, NullLogger.Instance);
        using var int8 = new OnnxEmbedder(int8Path, new OnnxEmbedderOptions { ExecutionProvider = "cpu", IntraOpThreads = threads, MaxBatchSize = 8 }, NullLogger.Instance);
        if (fp32.Height != int8.Height || fp32.Width != int8.Width || fp32.Dimension != int8.Dimension)
        {
            Console.Error.WriteLine($"error: the models differ in contract: fp32 [{fp32.Height}x{fp32.Width}] -> {fp32.Dimension}, int8 [{int8.Height}x{int8.Width}] -> {int8.Dimension}.");
            return 1;
        }

        Console.WriteLine($"models: fp32 {Path.GetFileName(fp32Path)} ({new FileInfo(fp32Path).Length / 1e6:F1} MB, precision {Precision(fp32)}), " +
                          $"int8 {Path.GetFileName(int8Path)} ({new FileInfo(int8Path).Length / 1e6:F1} MB, precision {Precision(int8)}); input {fp32.Height}x{fp32.Width}, D={fp32.Dimension}, CPU provider");
        var (distinct, source) = LoadCrops(root, fp32.Height, fp32.Width);
        var crops = Enumerable.Range(0, images).Select(i => distinct[i % distinct.Count]).ToList();
        Console.WriteLine($"crops: {distinct.Count} distinct from {source}, {images} per measurement, {rounds} alternating rounds per batch size (median reported)");

        // Same crops, both precisions: how far apart the embeddings are (the quantizer's check, repeated here).
        var a = fp32.Embed(distinct);
        var b = int8.Embed(distinct);
        double meanCosine = a.Zip(b, (x, y) => x.Zip(y, (p, q) => (double)p * q).Sum()).Average();
        Console.WriteLine($"mean cosine(int8, fp32) on the {distinct.Count} crops: {meanCosine.ToString("F4", inv)}");

        var ratios = new Dictionary<int, double>();
        Console.WriteLine();
        Console.WriteLine($"{"batch",5} | {"fp32 emb/s",10} | {"int8 emb/s",10} | {"int8/fp32",9} | per round (fp32 / int8)");
        foreach (int batch in new[] { 1, 8 })
        {
            Run(fp32, crops.Take(batch * 2).ToList(), batch); // warm-up: first runs allocate arenas and pick kernels
            Run(int8, crops.Take(batch * 2).ToList(), batch);
            var f = new List<double>();
            var q = new List<double>();
            for (int r = 0; r < rounds; r++)
            {
                // Alternate which goes first, so neither always runs right after the other's cache misses.
                if (r % 2 == 0)
                {
                    f.Add(Run(fp32, crops, batch));
                    q.Add(Run(int8, crops, batch));
                }
                else
                {
                    q.Add(Run(int8, crops, batch));
                    f.Add(Run(fp32, crops, batch));
                }
            }

            double fm = Median(f), qm = Median(q);
            ratios[batch] = qm / fm;
            string perRound = string.Join(", ", f.Zip(q, (x, y) => $"{x.ToString("F1", inv)} / {y.ToString("F1", inv)}"));
            Console.WriteLine($"{batch,5} | {fm.ToString("F1", inv),10} | {qm.ToString("F1", inv),10} | {(qm / fm).ToString("F2", inv),9} | {perRound}");
        }

        Console.WriteLine();
        Console.WriteLine($"uptime after: {Uptime()}");
        Console.WriteLine($"int8/fp32 embeddings/s ratio at batch 1: {ratios[1].ToString("F2", inv)}");
        Console.WriteLine($"int8/fp32 embeddings/s ratio at batch 8: {ratios[8].ToString("F2", inv)}");
        return 0;
    }

    // Embeds all crops in runs of `batch`; returns embeddings per second.
    private static double Run(OnnxEmbedder embedder, List<RgbCrop> crops, int batch)
    {
        var sw = Stopwatch.StartNew();
        for (int start = 0; start < crops.Count; start += batch)
        {
            embedder.Embed(crops.GetRange(start, Math.Min(batch, crops.Count - start)));
        }

        return crops.Count / sw.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Precision(OnnxEmbedder embedder) => embedder.Metadata.GetValueOrDefault("precision", "fp32");

    // Market-mini crops when ../shared is there, else deterministic generated person-sized images.
    private static (List<RgbCrop> Crops, string Source) LoadCrops(string root, int height, int width)
    {
        var options = new CropDecoderOptions { Height = height, Width = width };
        var dir = Path.GetFullPath(Path.Combine(root, "..", "shared", "data", "market-mini"));
        if (Directory.Exists(dir))
        {
            var files = Directory.EnumerateFiles(dir, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
            if (files.Count > 0)
            {
                return (files.Select(f => { using var s = File.OpenRead(f); return CropDecoder.DecodeAndResize(s, options); }).ToList(), Rel(dir, root));
            }
        }

        var random = new Random(1);
        var generated = new List<RgbCrop>();
        for (int n = 0; n < 16; n++)
        {
            var pixels = new byte[height * width * 3];
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    int i = (y * width + x) * 3;
                    pixels[i] = (byte)random.Next(256);
                    pixels[i + 1] = (byte)(y * 255 / height);
                    pixels[i + 2] = (byte)(x * 255 / width);
                }
            }

            generated.Add(new RgbCrop(height, width, pixels));
        }

        return (generated, "generated pixels (../shared absent)");
    }

    private static string Rel(string path, string root) => Path.GetRelativePath(root, path);

    private static string CpuModel() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
            : "unknown CPU";

    private static string Uptime()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("uptime") { RedirectStandardOutput = true })!;
            string text = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return text;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return File.Exists("/proc/loadavg") ? "load average " + File.ReadAllText("/proc/loadavg").Trim() : "n/a";
        }
    }

    private static Dictionary<string, string> ParseArgs(string[] args)
    {
        var result = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"Expected --name value pairs; got '{args[i]}'. Options: --images, --rounds, --model, --int8, --threads.");
            }

            result[args[i][2..]] = args[++i];
        }

        return result;
    }
}
