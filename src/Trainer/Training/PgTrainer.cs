using System.Diagnostics;
using SanReid.Trainer.Data;
using SanReid.Trainer.Losses;
using SanReid.Trainer.Model;
using SanReid.Trainer.Model.Decoder;
using SanReid.Trainer.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SanReid.Trainer.Training;

/// <summary>
/// SAN-PG (DESIGN.md "SAN-PG and pseudo ground truth"): SA-Enc + SA-Dec trained with the texture L1 reconstruction
/// loss only, on paired image/texture data, with one Adam (pgLr, betas decoderBeta1/decoderBeta2) over both.
/// </summary>
/// <remarks>
/// Each epoch shuffles the training pairs (seeded by (seed, epoch)) into batches of pgBatchSize (a last partial batch is
/// dropped) and, when pairs are held out, reports the held-out L1 (eval mode) next to the L1 of predicting the mean
/// training texture for every held-out pair, the baseline a useful SAN-PG must beat.
/// </remarks>
public sealed class PgTrainer : IDisposable
{
    private const int ShuffleStream = 3;
    private readonly TrainingConfig config;
    private readonly IReadOnlyList<TexturePair> train;
    private readonly IReadOnlyList<TexturePair> heldOut;
    private readonly RunFolder folder;
    private readonly Device device;
    private readonly SaEncoder encoder;
    private readonly SaDecoder decoder;
    private readonly Adam optimizer;
    private readonly TextureL1Loss loss = new();
    private readonly CropReader reader;
    private readonly ReidBatchBuilder builder;
    private readonly TrainingLog log;
    private Tensor? meanTexture;
    private long globalStep;

    /// <summary>Builds (or, with <paramref name="resume"/>, restores) SAN-PG.</summary>
    /// <param name="config">Recipe; uses backbone, height, width, pg* keys, augmentation, seed.</param>
    /// <param name="train">Training pairs.</param>
    /// <param name="heldOut">Held-out pairs (may be empty).</param>
    /// <param name="folder">Run folder.</param>
    /// <param name="device">cpu or cuda.</param>
    /// <param name="initWeights">SA-Enc backbone initialisation (e.g. import-imagenet output); null = random.</param>
    /// <param name="resume">Continue from the folder's checkpoint.</param>
    public PgTrainer(TrainingConfig config, IReadOnlyList<TexturePair> train, IReadOnlyList<TexturePair> heldOut, RunFolder folder, Device device, string? initWeights, bool resume)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(train);
        config.Validate();
        if (train.Count < config.PgBatchSize)
        {
            throw new TrainingConfigException($"SAN-PG has {train.Count} training pairs, fewer than pgBatchSize = {config.PgBatchSize}.");
        }

        this.config = config;
        this.train = train;
        this.heldOut = heldOut;
        this.folder = folder;
        this.device = device;
        var backbone = BackboneNames.Parse(config.Backbone);
        manual_seed(config.Seed);
        encoder = new SaEncoder(backbone);
        if (initWeights is not null && !resume)
        {
            StateDictFiles.LoadBackboneFile(encoder, initWeights);
        }

        decoder = SaDecoder.For(backbone);
        encoder.to(device);
        decoder.to(device);
        // The neck (fc) gets no gradient from the texture loss; it is left out of the optimiser.
        var encoderParameters = encoder.named_parameters().Where(p => !p.name.StartsWith("fc.", StringComparison.Ordinal)).Select(p => p.parameter);
        optimizer = optim.Adam(encoderParameters.Concat(decoder.parameters()), config.PgLr, config.DecoderBeta1, config.DecoderBeta2);
        reader = new CropReader(config.Height, config.Width, config.Height);
        builder = new ReidBatchBuilder(reader, config.Augmentation(), config.Workers);
        if (resume)
        {
            var saved = CheckpointState.Load(Path.Combine(folder.CheckpointDir, "state.json"));
            if (saved.Mode != "pg" || saved.Config.Backbone != config.Backbone)
            {
                throw new InvalidDataException($"Checkpoint in {folder.CheckpointDir} is a {saved.Mode} {saved.Config.Backbone} run, not SAN-PG {config.Backbone}.");
            }

            folder.LoadCheckpoint(encoder, decoder, [("pg", optimizer)]);
            StartEpoch = saved.EpochsDone;
            globalStep = saved.GlobalStep;
        }

        config.Save(Path.Combine(folder.Root, "config.json"));
        log = new TrainingLog(folder, StartEpoch);
    }

    /// <summary>0-based epoch <see cref="Fit"/> starts at.</summary>
    public int StartEpoch { get; }

    /// <summary>Per-epoch records.</summary>
    public IReadOnlyList<EpochRecord> Records => log.Records;

    /// <summary>Trains to pgEpochs, checkpointing, evaluating held-out L1 and writing previews; saves encoder and decoder at the end.</summary>
    public IReadOnlyList<EpochRecord> Fit(Action<StepReport>? onStep = null, Action<EpochRecord>? onEpoch = null, int? stopAfter = null)
    {
        var last = Math.Min(config.PgEpochs, stopAfter ?? config.PgEpochs);
        for (var epoch = StartEpoch; epoch < last; epoch++)
        {
            var record = RunEpoch(epoch, onStep);
            var number = epoch + 1;
            if (heldOut.Count > 0)
            {
                record = record with { Eval = EvaluateHeldOut() };
            }

            if (config.PreviewEvery > 0 && (number % config.PreviewEvery == 0 || number == config.PgEpochs))
            {
                var shown = PreviewPairs(heldOut.Count > 0 ? heldOut : train);
                TexturePreview.Write(folder.PreviewFile(number), encoder, decoder, builder, shown.Select(p => p.ImagePath).ToArray(), shown.Select(p => p.TexturePath).ToArray(), device);
            }

            log.Add(record);
            folder.SaveCheckpoint(encoder, decoder, [("pg", optimizer)], new CheckpointState
            {
                Mode = "pg",
                EpochsDone = number,
                GlobalStep = globalStep,
                NumClasses = 0,
                Lr = config.PgLr,
                Config = config,
            });
            onEpoch?.Invoke(record);
        }

        RunFolder.SaveModule(encoder, folder.EncoderFile);
        RunFolder.SaveModule(decoder, folder.DecoderFile);
        return log.Records;
    }

    /// <summary>One epoch of reconstruction training.</summary>
    public EpochRecord RunEpoch(int epoch, Action<StepReport>? onStep = null)
    {
        var order = Enumerable.Range(0, train.Count).ToArray();
        new Random(StepSeeds.For(config.Seed, ShuffleStream, epoch, 0)).Shuffle(order);
        var steps = train.Count / config.PgBatchSize;
        if (config.MaxStepsPerEpoch > 0)
        {
            steps = Math.Min(steps, config.MaxStepsPerEpoch);
        }

        encoder.train();
        decoder.train();
        var clock = Stopwatch.StartNew();
        double sum = 0, first = double.NaN;
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var indices = order.Skip(step * config.PgBatchSize).Take(config.PgBatchSize).ToArray();
            using var batch = builder.BuildPaired(train, indices, new Random(StepSeeds.For(config.Seed, StepSeeds.Augment, epoch, step)), device);
            optimizer.zero_grad();
            using var features = encoder.Features(batch.Images);
            using var output = decoder.Decode(features);
            var l1 = loss.call(output.Texture, batch.Textures!);
            l1.backward();
            optimizer.step();
            var value = l1.item<float>();
            first = step == 0 ? value : first;
            sum += value;
            globalStep++;
            onStep?.Invoke(new StepReport(epoch + 1, config.PgEpochs, step + 1, steps, config.PgLr, new Dictionary<string, double> { ["l1"] = value }, (step + 1) * config.PgBatchSize / clock.Elapsed.TotalSeconds));
        }

        return new EpochRecord
        {
            Epoch = epoch + 1,
            Lr = config.PgLr,
            Steps = steps,
            Seconds = clock.Elapsed.TotalSeconds,
            ImagesPerSecond = steps * config.PgBatchSize / clock.Elapsed.TotalSeconds,
            Losses = new Dictionary<string, double> { ["l1"] = sum / steps },
            FirstStepLoss = first,
        };
    }

    /// <summary>
    /// Held-out L1 of SAN-PG (eval mode, no augmentation) and of predicting the mean training texture:
    /// <c>heldOutL1</c>, <c>meanTextureL1</c> (texture units: [-1, 1] range, so 2 is the largest possible error).
    /// </summary>
    public Dictionary<string, double> EvaluateHeldOut()
    {
        meanTexture ??= MeanTrainingTexture();
        using var noGrad = no_grad();
        encoder.eval();
        decoder.eval();
        double model = 0, mean = 0;
        var count = 0;
        for (var start = 0; start < heldOut.Count; start += 32)
        {
            using var scope = NewDisposeScope();
            var chunk = heldOut.Skip(start).Take(32).ToArray();
            var images = builder.BuildEval(chunk.Select(p => p.ImagePath).ToArray(), false, device);
            var target = builder.BuildTextures(chunk.Select(p => p.TexturePath).ToArray());
            using var features = encoder.Features(images);
            using var output = decoder.Decode(features);
            model += (output.Texture.cpu() - target).abs().mean().item<float>() * chunk.Length;
            mean += (meanTexture.unsqueeze(0) - target).abs().mean().item<float>() * chunk.Length;
            count += chunk.Length;
        }

        return new Dictionary<string, double> { ["heldOutL1"] = model / count, ["meanTextureL1"] = mean / count };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        optimizer.Dispose();
        encoder.Dispose();
        decoder.Dispose();
        meanTexture?.Dispose();
    }

    private Tensor MeanTrainingTexture()
    {
        var paths = train.Select(p => p.TexturePath).Distinct().ToArray();
        Tensor sum = zeros(3, config.Height, config.Height);
        for (var start = 0; start < paths.Length; start += 64)
        {
            using var scope = NewDisposeScope();
            var batch = builder.BuildTextures(paths.Skip(start).Take(64).ToArray());
            sum.add_(batch.sum(0));
        }

        return (sum / paths.Length).DetachFromDisposeScope();
    }

    private static TexturePair[] PreviewPairs(IReadOnlyList<TexturePair> pairs) =>
        Enumerable.Range(0, Math.Min(4, pairs.Count)).Select(i => pairs[i * (pairs.Count / 4 + 1) % pairs.Count]).ToArray();
}
