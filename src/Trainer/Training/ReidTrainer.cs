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

/// <summary>What <c>train --mode</c> trains.</summary>
public enum TrainMode
{
    /// <summary>SA-Enc with ID + batch-hard triplet only (no decoder): the baseline SAN is measured against.</summary>
    Baseline,

    /// <summary>SAN: per batch an encoder step (ID + triplet) and a texture step (L1 + Triplet ReID through SA-Dec).</summary>
    San,
}

/// <summary>
/// Trains SA-Enc on a re-ID dataset (DESIGN.md "Losses", "Training recipe").
/// </summary>
/// <remarks>
/// <para>Per batch (P x K from <see cref="RandomIdentitySampler"/>), one forward pass through SA-Enc (and SA-Dec in san
/// mode), as in the public code, which reuses the encoder's outputs for the texture step; BatchNorm running statistics
/// therefore update once per batch. Two updates follow:</para>
/// <list type="number">
/// <item>Encoder step: <c>idWeight * CE_ls(classifier(f), y) + tripletWeight * triplet(f, y)</c> on the 512-d feature f;
/// during the <c>warmupEpochs</c> a plain Adam (lr from <see cref="LearningRateSchedule"/>), afterwards a fresh AMSGrad
/// (weight decay 5e-4) updates SA-Enc and classifier.</item>
/// <item>Texture step (san mode): <c>textureWeight * L1(T_pred, T_pseudo) + tripletReidWeight * TripletReID(up1..up4, y)</c>
/// from SA-Dec over the same pass's stage maps; the texture-step Adam (decoderLr 1e-5, betas 0.5 / 0.999) updates SA-Dec
/// and SA-Enc's backbone (conv1..layer4), the parts the gradient reaches. The public code's two Adams of the texture
/// step (encoder and decoder, same settings) equal this one Adam, since Adam's update is per parameter.</item>
/// </list>
/// <para>Both gradients are taken at the weights of the forward pass; the encoder update is applied first, then the
/// texture update. (The public code backpropagates the texture loss through the retained graph after the encoder's
/// step; PyTorch before 1.5 allowed that, mixing pre- and post-step weights; the gradient at the forward's weights is
/// the well-defined reading, and current PyTorch refuses the other.)</para>
/// <para>Determinism: model initialisation draws from torch's generator seeded with the config seed; batches, augmentation
/// and Triplet ReID draws depend only on (seed, epoch, step); so <see cref="Fit"/> after a resume repeats what an
/// uninterrupted run would have done (up to libtorch's own CPU determinism).</para>
/// </remarks>
public sealed class ReidTrainer : IDisposable
{
    private readonly TrainingConfig config;
    private readonly TrainMode mode;
    private readonly IReidDataset dataset;
    private readonly TextureLookup? textures;
    private readonly RunFolder folder;
    private readonly Device device;
    private readonly SaEncoder encoder;
    private readonly SaDecoder? decoder;
    private readonly Adam? warmupOptimizer;
    private readonly Adam encoderOptimizer;
    private readonly Adam? textureOptimizer;
    private readonly Parameter[] backboneParameters;
    private readonly CrossEntropyLabelSmooth idLoss;
    private readonly BatchHardTripletLoss tripletLoss;
    private readonly TextureL1Loss textureLoss = new();
    private readonly RandomIdentitySampler sampler;
    private readonly ReidBatchBuilder builder;
    private readonly CropReader reader;
    private readonly LearningRateSchedule schedule;
    private readonly TrainingLog log;
    private long globalStep;

    /// <summary>Builds the models and optimisers; with <paramref name="resume"/>, restores them from the folder's checkpoint.</summary>
    /// <param name="config">The recipe (validated).</param>
    /// <param name="mode">baseline or san.</param>
    /// <param name="dataset">Training (and, for evaluation, query/gallery) images.</param>
    /// <param name="textures">Pseudo ground-truth textures of the training images; required in san mode.</param>
    /// <param name="folder">Run folder (checkpoints, logs).</param>
    /// <param name="device">cpu or cuda.</param>
    /// <param name="initWeights">Backbone initialisation (conv1, bn1, layer1..4 of an SA-Enc or torchvision state_dict, e.g. import-imagenet's output); null = random. Ignored on resume.</param>
    /// <param name="resume">Continue from <c>checkpoint/</c>.</param>
    /// <exception cref="TrainingConfigException">San mode without textures, or no loss switched on.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is missing or does not fit.</exception>
    public ReidTrainer(TrainingConfig config, TrainMode mode, IReidDataset dataset, TextureLookup? textures, RunFolder folder, Device device, string? initWeights, bool resume)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(dataset);
        config.Validate();
        if (mode == TrainMode.San && textures is null && (config.TextureWeight > 0 || config.TripletReidWeight > 0))
        {
            throw new TrainingConfigException("train --mode san needs pseudo textures (--textures), or switch the texture losses off.");
        }

        var encoderOn = config.IdWeight > 0 || config.TripletWeight > 0;
        var textureOn = mode == TrainMode.San && (config.TextureWeight > 0 || config.TripletReidWeight > 0);
        if (!encoderOn && !textureOn)
        {
            throw new TrainingConfigException("Every loss is switched off: nothing to train.");
        }

        if (dataset.NumTrainIds < config.P)
        {
            throw new TrainingConfigException($"The training set has {dataset.NumTrainIds} identities, fewer than p = {config.P}.");
        }

        this.config = config;
        this.mode = mode;
        this.dataset = dataset;
        this.textures = textures;
        this.folder = folder;
        this.device = device;
        var backbone = BackboneNames.Parse(config.Backbone);
        manual_seed(config.Seed);
        encoder = new SaEncoder(backbone, dataset.NumTrainIds);
        if (initWeights is not null && !resume)
        {
            StateDictFiles.LoadBackboneFile(encoder, initWeights);
        }

        decoder = mode == TrainMode.San ? SaDecoder.For(backbone) : null;
        encoder.to(device);
        decoder?.to(device);
        // Public code: optimizer_warmup = Adam(lr 8e-6, weight decay, betas 0.9 / 0.999), not AMSGrad; the main optimiser
        // is built at the start and first stepped after warm-up, so it starts fresh.
        warmupOptimizer = config.WarmupEpochs > 0
            ? optim.Adam(encoder.parameters(), config.WarmupStartLr, config.Beta1, config.Beta2, weight_decay: config.WeightDecay, amsgrad: false)
            : null;
        encoderOptimizer = optim.Adam(encoder.parameters(), config.Lr, config.Beta1, config.Beta2, weight_decay: config.WeightDecay, amsgrad: config.Amsgrad);
        backboneParameters = encoder.named_parameters()
            .Where(p => !p.name.StartsWith("fc.", StringComparison.Ordinal) && !p.name.StartsWith("classifier.", StringComparison.Ordinal))
            .Select(p => p.parameter)
            .ToArray();
        if (decoder is not null)
        {
            textureOptimizer = optim.Adam(decoder.parameters().Concat(backboneParameters), config.DecoderLr, config.DecoderBeta1, config.DecoderBeta2);
        }

        idLoss = new CrossEntropyLabelSmooth(config.LabelSmoothing);
        tripletLoss = new BatchHardTripletLoss(config.Margin);
        sampler = new RandomIdentitySampler(dataset.Train.Select(i => i.Label).ToArray(), config.P, config.K, config.Seed);
        reader = new CropReader(config.Height, config.Width, config.Height);
        builder = new ReidBatchBuilder(reader, config.Augmentation(), config.Workers);
        schedule = new LearningRateSchedule(config);
        var stateFile = Path.Combine(folder.CheckpointDir, "state.json");
        if (resume)
        {
            var saved = CheckpointState.Load(stateFile);
            if (saved.Mode != ModeName || saved.NumClasses != dataset.NumTrainIds || saved.Config.Backbone != config.Backbone)
            {
                throw new InvalidDataException($"Checkpoint {stateFile} is a {saved.Mode} {saved.Config.Backbone} run over {saved.NumClasses} identities; cannot resume it as {ModeName} {config.Backbone} over {dataset.NumTrainIds}.");
            }

            folder.LoadCheckpoint(encoder, decoder, Optimizers(saved.EpochsDone));
            StartEpoch = saved.EpochsDone;
            globalStep = saved.GlobalStep;
        }

        config.Save(Path.Combine(folder.Root, "config.json"));
        log = new TrainingLog(folder, StartEpoch);
    }

    /// <summary>0-based epoch the next <see cref="Fit"/> starts at (0, or the epochs done in the resumed checkpoint).</summary>
    public int StartEpoch { get; }

    /// <summary>The encoder being trained.</summary>
    public SaEncoder Encoder => encoder;

    /// <summary>Per-epoch records (resumed ones included).</summary>
    public IReadOnlyList<EpochRecord> Records => log.Records;

    private string ModeName => mode == TrainMode.San ? "san" : "baseline";

    /// <summary>
    /// Trains from <see cref="StartEpoch"/> to <c>config.Epochs</c>, checkpointing after every epoch, evaluating every
    /// <c>evalEvery</c> epochs (when the dataset has query and gallery images), writing previews every
    /// <c>previewEvery</c> epochs (san), and finally saving <c>encoder.safetensors</c> (and <c>decoder.safetensors</c>).
    /// </summary>
    /// <param name="onStep">Called after every step (console progress).</param>
    /// <param name="onEpoch">Called after every epoch.</param>
    /// <param name="stopAfter">Stop (after checkpointing) once this many epochs are done; null = config.Epochs.</param>
    public IReadOnlyList<EpochRecord> Fit(Action<StepReport>? onStep = null, Action<EpochRecord>? onEpoch = null, int? stopAfter = null)
    {
        var last = Math.Min(config.Epochs, stopAfter ?? config.Epochs);
        for (var epoch = StartEpoch; epoch < last; epoch++)
        {
            var record = RunEpoch(epoch, onStep);
            var number = epoch + 1;
            var evalDue = config.EvalEvery > 0 ? number % config.EvalEvery == 0 || number == config.Epochs : config.EvalEvery == 0 && number == config.Epochs;
            if (evalDue && dataset.Query.Count > 0 && dataset.Gallery.Count > 0)
            {
                record = record with { Eval = FeatureExtractor.Summary(FeatureExtractor.Evaluate(encoder, dataset.Query, dataset.Gallery, reader, false, device)) };
            }

            if (decoder is not null && textures is not null && config.PreviewEvery > 0 && (number % config.PreviewEvery == 0 || number == config.Epochs))
            {
                WritePreview(folder.PreviewFile(number));
            }

            log.Add(record);
            folder.SaveCheckpoint(encoder, decoder, Optimizers(number), new CheckpointState
            {
                Mode = ModeName,
                EpochsDone = number,
                GlobalStep = globalStep,
                NumClasses = dataset.NumTrainIds,
                Lr = record.Lr,
                Config = config,
            });
            onEpoch?.Invoke(record);
        }

        RunFolder.SaveModule(encoder, folder.EncoderFile);
        if (decoder is not null)
        {
            RunFolder.SaveModule(decoder, folder.DecoderFile);
        }

        return log.Records;
    }

    /// <summary>One epoch of training; returns its record (no evaluation, not logged).</summary>
    public EpochRecord RunEpoch(int epoch, Action<StepReport>? onStep = null)
    {
        var lr = schedule.At(epoch);
        var encoderStep = EncoderOptimizer(epoch);
        foreach (var group in encoderStep.ParamGroups)
        {
            group.LearningRate = lr;
        }

        var batches = sampler.EpochBatches(epoch);
        var steps = config.MaxStepsPerEpoch > 0 ? Math.Min(config.MaxStepsPerEpoch, batches.Count) : batches.Count;
        if (steps == 0)
        {
            throw new TrainingConfigException($"The sampler yields no P x K batch (p = {config.P}, k = {config.K}, {dataset.NumTrainIds} identities).");
        }

        var sums = new Dictionary<string, double>();
        var first = double.NaN;
        var clock = Stopwatch.StartNew();
        var images = 0;
        encoder.train();
        decoder?.train();
        for (var step = 0; step < steps; step++)
        {
            var losses = Step(epoch, step, batches[step], encoderStep);
            images += batches[step].Length;
            if (step == 0)
            {
                first = losses["total"];
            }

            foreach (var (k, v) in losses)
            {
                sums[k] = sums.GetValueOrDefault(k) + v;
            }

            globalStep++;
            onStep?.Invoke(new StepReport(epoch + 1, config.Epochs, step + 1, steps, lr, losses, images / clock.Elapsed.TotalSeconds));
        }

        var seconds = clock.Elapsed.TotalSeconds;
        return new EpochRecord
        {
            Epoch = epoch + 1,
            Lr = lr,
            Steps = steps,
            Seconds = seconds,
            ImagesPerSecond = images / seconds,
            Losses = sums.ToDictionary(p => p.Key, p => p.Value / steps),
            FirstStepLoss = first,
        };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        warmupOptimizer?.Dispose();
        encoderOptimizer.Dispose();
        textureOptimizer?.Dispose();
        encoder.Dispose();
        decoder?.Dispose();
    }

    private Dictionary<string, double> Step(int epoch, int step, int[] indices, Adam encoderStep)
    {
        using var scope = NewDisposeScope();
        var useTextures = decoder is not null && textures is not null && (config.TextureWeight > 0 || config.TripletReidWeight > 0);
        var useEncoder = config.IdWeight > 0 || config.TripletWeight > 0;
        using var batch = builder.Build(dataset.Train, indices, new Random(StepSeeds.For(config.Seed, StepSeeds.Augment, epoch, step)), useTextures ? textures : null, device);
        var losses = new Dictionary<string, double>();
        encoder.zero_grad();
        decoder?.zero_grad();

        // The one forward pass of the batch (see remarks): the texture step decodes this pass's stage maps.
        using var features = useTextures ? encoder.Features(batch.Images) : null;
        var feature = features?.Feature ?? encoder.call(batch.Images);
        Tensor? encoderLoss = null;
        if (useEncoder)
        {
            encoderLoss = zeros(1, device: device).sum();
            if (config.IdWeight > 0)
            {
                var id = idLoss.call(encoder.Classify(feature), batch.Labels);
                losses["id"] = id.item<float>();
                encoderLoss = encoderLoss + (config.IdWeight * id);
            }

            if (config.TripletWeight > 0)
            {
                var triplet = tripletLoss.call(feature, batch.Labels);
                losses["triplet"] = triplet.item<float>();
                encoderLoss = encoderLoss + (config.TripletWeight * triplet);
            }
        }

        Tensor? textureLossValue = null;
        if (useTextures)
        {
            using var output = decoder!.Decode(features!);
            textureLossValue = zeros(1, device: device).sum();
            if (config.TextureWeight > 0)
            {
                var l1 = textureLoss.call(output.Texture, batch.Textures!);
                losses["texture"] = l1.item<float>();
                textureLossValue = textureLossValue + (config.TextureWeight * l1);
            }

            if (config.TripletReidWeight > 0)
            {
                var mining = config.TripletReidMining == "batchhard" ? TripletMining.BatchHard : TripletMining.Random;
                using var constraints = new TripletReidConstraints(config.TripletReidMargin, mining, StepSeeds.For(config.Seed, StepSeeds.TripletReid, epoch, step));
                var tr = constraints.call(output.Maps, batch.Labels);
                losses["tripletReid"] = tr.item<float>();
                textureLossValue = textureLossValue + (config.TripletReidWeight * tr);
            }
        }

        if (encoderLoss is not null && textureLossValue is not null)
        {
            // Both gradients at the forward's weights, each optimiser seeing only its own: the backbone's .grad holds the
            // ID + triplet gradient for the encoder step, then the texture gradient for the texture step.
            encoderLoss.backward(retain_graph: true);
            var encoderGrads = SwapBackboneGrads(null);
            textureLossValue.backward();
            var textureGrads = SwapBackboneGrads(encoderGrads);
            encoderStep.step();
            SwapBackboneGrads(textureGrads);
            textureOptimizer!.step();
        }
        else if (encoderLoss is not null)
        {
            encoderLoss.backward();
            encoderStep.step();
        }
        else
        {
            textureLossValue!.backward();
            textureOptimizer!.step();
        }

        losses["total"] = (encoderLoss?.item<float>() ?? 0) + (textureLossValue?.item<float>() ?? 0);
        return losses;
    }

    /// <summary>
    /// Copies out the backbone parameters' current gradients and replaces them with <paramref name="replacement"/>
    /// (zeros when null, so a following backward() leaves exactly its own gradient there).
    /// </summary>
    private Tensor[] SwapBackboneGrads(Tensor[]? replacement)
    {
        var saved = new Tensor[backboneParameters.Length];
        using var noGrad = no_grad();
        for (var i = 0; i < backboneParameters.Length; i++)
        {
            var grad = backboneParameters[i].grad
                ?? throw new InvalidOperationException($"Backbone parameter {i} received no gradient from the ID + triplet loss.");
            saved[i] = grad.clone();
            if (replacement is null)
            {
                grad.zero_();
            }
            else
            {
                grad.copy_(replacement[i]);
            }
        }

        return saved;
    }

    /// <summary>The optimiser of the encoder step in 0-based epoch <paramref name="epoch"/>: warm-up Adam or main AMSGrad.</summary>
    private Adam EncoderOptimizer(int epoch) => schedule.IsWarmup(epoch) ? warmupOptimizer! : encoderOptimizer;

    /// <summary>
    /// The optimisers whose state a checkpoint holds, taken before 0-based epoch <paramref name="nextEpoch"/>: the encoder
    /// optimiser of that epoch ("warmup" or "encoder") and the texture step's ("texture"). The one not in use holds no
    /// state worth keeping: the warm-up Adam is never used again after warm-up, and the main AMSGrad is untouched during it.
    /// </summary>
    private List<(string Prefix, Adam Optimizer)> Optimizers(int nextEpoch)
    {
        var list = new List<(string, Adam)>
        {
            nextEpoch < config.WarmupEpochs ? ("warmup", warmupOptimizer!) : ("encoder", encoderOptimizer),
        };
        if (textureOptimizer is not null)
        {
            list.Add(("texture", textureOptimizer));
        }

        return list;
    }

    private void WritePreview(string path)
    {
        var items = Enumerable.Range(0, Math.Min(4, dataset.Train.Count)).Select(i => dataset.Train[i * (dataset.Train.Count / 4 + 1) % dataset.Train.Count]).ToArray();
        TexturePreview.Write(path, encoder, decoder!, builder, items.Select(i => i.Path).ToArray(), items.Select(i => textures!.Find(i.Path)).ToArray(), device);
        encoder.train();
        decoder!.train();
    }
}
