using System.Diagnostics;
using System.Globalization;
using SanReid.Trainer.Losses;
using SanReid.Trainer.Model;
using SanReid.Trainer.Model.Decoder;
using TorchSharp;
using static TorchSharp.torch;

// train-bench [--steps N] [--warmup N] [--batch B] [--threads T] [--backbones resnet18,resnet50] [--height H]
// Training images/s of SA-Enc (baseline: ID + batch-hard triplet, AMSGrad) and SAN (baseline step + texture step:
// SA-Enc + SA-Dec, L1 + Triplet ReID, Adam) and feature-extraction images/s (eval mode, no_grad), per backbone, on
// in-memory random tensors (compute only: no JPEG decoding). Batch = P x 4 images. Defaults: 256x128, batch 32,
// 1 warm-up + 2 timed steps each (short on purpose; raise --steps for steadier figures).
var options = Args(args);
int steps = Int("steps", 2), warmup = Int("warmup", 1), batch = Int("batch", 32), height = Int("height", 256);
int width = height / 2;
if (options.TryGetValue("threads", out var threads))
{
    set_num_threads(int.Parse(threads, CultureInfo.InvariantCulture));
}

if (batch % 4 != 0 || batch < 8)
{
    Console.Error.WriteLine("--batch must be a multiple of 4 and at least 8 (P x K with K = 4).");
    return 2;
}

var backbones = (options.GetValueOrDefault("backbones") ?? "resnet50,resnet18").Split(',').Select(BackboneNames.Parse).ToArray();
Console.WriteLine($"command: train-bench {string.Join(' ', args)}");
Console.WriteLine($"torch threads {get_num_threads()}, input {height}x{width}, batch {batch} (P{batch / 4} x K4), {warmup} warm-up + {steps} timed steps");
manual_seed(0);
var images = randn(batch, 3, height, width);
var labels = arange(batch / 4).repeat_interleave(4);
var textures = rand(batch, 3, height, height) * 2 - 1;
foreach (var backbone in backbones)
{
    foreach (var san in new[] { false, true })
    {
        using var encoder = new SaEncoder(backbone, 100);
        using var decoder = san ? SaDecoder.For(backbone) : null;
        var encoderOptimizer = optim.Adam(encoder.parameters(), 8e-4, 0.9, 0.999, weight_decay: 5e-4, amsgrad: true);
        var textureOptimizer = decoder is null ? null : optim.Adam(decoder.parameters().Concat(encoder.named_parameters().Where(p => !p.name.StartsWith("fc.") && !p.name.StartsWith("classifier.")).Select(p => p.parameter)), 1e-5, 0.5, 0.999);
        var id = new CrossEntropyLabelSmooth();
        var triplet = new BatchHardTripletLoss();
        var l1 = new TextureL1Loss();
        var tripletReid = new TripletReidConstraints();
        encoder.train();
        decoder?.train();
        void Step()
        {
            using var scope = NewDisposeScope();
            encoderOptimizer.zero_grad();
            var feature = encoder.call(images);
            var loss = id.call(encoder.Classify(feature), labels) + triplet.call(feature, labels);
            loss.backward();
            encoderOptimizer.step();
            if (decoder is not null)
            {
                encoder.zero_grad();
                decoder.zero_grad();
                using var features = encoder.Features(images);
                using var output = decoder.Decode(features);
                var textureLoss = l1.call(output.Texture, textures) + tripletReid.call(output.Maps, labels);
                textureLoss.backward();
                textureOptimizer!.step();
            }
        }

        var rate = Time(Step);
        Console.WriteLine($"{backbone.Name(),-9} {(san ? "san" : "baseline"),-9} train   {rate,7:F2} images/s");
    }

    using (var encoder = new SaEncoder(backbone))
    {
        encoder.eval();
        var rate = Time(() =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            encoder.call(images);
        });
        Console.WriteLine($"{backbone.Name(),-9} {"-",-9} extract {rate,7:F2} images/s");
    }
}

return 0;

double Time(Action step)
{
    for (var i = 0; i < warmup; i++)
    {
        step();
    }

    var clock = Stopwatch.StartNew();
    for (var i = 0; i < steps; i++)
    {
        step();
    }

    return steps * batch / clock.Elapsed.TotalSeconds;
}

int Int(string key, int fallback) => options.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

static Dictionary<string, string> Args(string[] args)
{
    var result = new Dictionary<string, string>();
    for (var i = 0; i + 1 < args.Length; i += 2)
    {
        if (!args[i].StartsWith("--", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Unexpected argument '{args[i]}'.");
        }

        result[args[i][2..]] = args[i + 1];
    }

    return result;
}
