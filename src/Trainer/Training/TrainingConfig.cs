using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SanReid.Trainer.Data;

namespace SanReid.Trainer.Training;

/// <summary>
/// Every setting of <c>train</c>, <c>train-pg</c> and <c>textures</c>. The defaults are the SAN recipe (DESIGN.md
/// "Training recipe", from the public SAN code main.py / args.py / torchreid/transforms.py): batch P 16 x K 4, input
/// 256 x 128; 20 warm-up epochs on their own Adam from 8e-6 growing x1.259 per epoch, then 300 epochs of a fresh AMSGrad
/// lr 8e-4 (weight decay 5e-4) halved after 40, 80, ..., 280 of those epochs (320 epochs in all); texture step Adam
/// lr 1e-5, betas 0.5 / 0.999; all loss weights 1, triplet margins 0.3, label smoothing 0.1; Random2DTranslation
/// (p 0.5), flip 0.5, random erasing 0.5 writing the ImageNet mean values. <c>configs/san-market.json</c> holds the same
/// values; <c>configs/small.json</c> a CPU-sized recipe for tests.
/// </summary>
/// <remarks>
/// JSON keys are the camelCase property names (<c>lr</c>, <c>warmupEpochs</c>, <c>lrMilestones</c>, ...). A key not
/// listed here is an error, so a typo never silently falls back to a default.
/// </remarks>
public sealed record TrainingConfig
{
    /// <summary>SA-Enc backbone: resnet50 (SAN) or resnet18.</summary>
    public string Backbone { get; init; } = "resnet50";

    /// <summary>Input height in pixels (SAN: 256). Must be a multiple of 16.</summary>
    public int Height { get; init; } = 256;

    /// <summary>Input width in pixels (SAN: 128). Must be half the height (SA-Dec writes an H x 2W texture).</summary>
    public int Width { get; init; } = 128;

    /// <summary>Identities per batch, P.</summary>
    public int P { get; init; } = 16;

    /// <summary>Images per identity in a batch, K (&gt;= 2 for the triplet losses).</summary>
    public int K { get; init; } = 4;

    /// <summary>
    /// Training epochs in all, warm-up included (an epoch = one pass of the P x K sampler). SAN: 320 = 20 warm-up epochs
    /// + the public code's max_epoch 300 of the main optimiser.
    /// </summary>
    public int Epochs { get; init; } = 320;

    /// <summary>Base learning rate of the encoder's main-phase AMSGrad (after warm-up).</summary>
    public double Lr { get; init; } = 8e-4;

    /// <summary>L2 weight decay of the encoder optimisers, warm-up and main (added to the gradient, as PyTorch's Adam does).</summary>
    public double WeightDecay { get; init; } = 5e-4;

    /// <summary>AMSGrad variant of Adam for the encoder's main phase (SAN: true; the warm-up Adam is plain Adam, as in the public code).</summary>
    public bool Amsgrad { get; init; } = true;

    /// <summary>Adam beta1 of the encoder optimisers (warm-up and main).</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Adam beta2 of the encoder optimisers (warm-up and main).</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>
    /// Warm-up epochs, counted in <see cref="Epochs"/>: epoch e &lt; warmupEpochs trains the encoder step with a separate
    /// plain Adam at warmupStartLr x warmupFactor^e (capped at lr); the main AMSGrad starts fresh afterwards
    /// (<see cref="LearningRateSchedule"/>).
    /// </summary>
    public int WarmupEpochs { get; init; } = 20;

    /// <summary>Learning rate of epoch 0 during warm-up.</summary>
    public double WarmupStartLr { get; init; } = 8e-6;

    /// <summary>Warm-up growth per epoch (1.259^20 = 100.3, so 8e-6 reaches 8e-4).</summary>
    public double WarmupFactor { get; init; } = 1.259;

    /// <summary>
    /// Main-phase epochs, counted from the end of warm-up, after which the learning rate is multiplied by
    /// <see cref="LrDecay"/> (the public code's MultiStepLR steps only in the main loop): milestone 40 with 20 warm-up
    /// epochs first halves the rate at 0-based absolute epoch 60.
    /// </summary>
    public int[] LrMilestones { get; init; } = [40, 80, 120, 160, 200, 240, 280];

    /// <summary>Factor applied at each milestone (0.5 = halved).</summary>
    public double LrDecay { get; init; } = 0.5;

    /// <summary>Learning rate of the texture-step Adam (SA-Dec, and SA-Enc's backbone in the texture step).</summary>
    public double DecoderLr { get; init; } = 1e-5;

    /// <summary>beta1 of the texture-step Adam.</summary>
    public double DecoderBeta1 { get; init; } = 0.5;

    /// <summary>beta2 of the texture-step Adam.</summary>
    public double DecoderBeta2 { get; init; } = 0.999;

    /// <summary>Weight of the ID loss (label-smoothed cross-entropy); 0 switches it off.</summary>
    public double IdWeight { get; init; } = 1;

    /// <summary>Weight of the batch-hard triplet loss; 0 switches it off.</summary>
    public double TripletWeight { get; init; } = 1;

    /// <summary>Weight of the texture L1 reconstruction loss (san mode); 0 switches it off.</summary>
    public double TextureWeight { get; init; } = 1;

    /// <summary>Weight of the Triplet ReID constraints on the SA-Dec maps (san mode); 0 switches it off.</summary>
    public double TripletReidWeight { get; init; } = 1;

    /// <summary>Margin of the batch-hard triplet loss.</summary>
    public double Margin { get; init; } = 0.3;

    /// <summary>Margin of the Triplet ReID constraints.</summary>
    public double TripletReidMargin { get; init; } = 0.3;

    /// <summary>Triplet ReID constraint mining: "random" (public code) or "batchhard".</summary>
    public string TripletReidMining { get; init; } = "random";

    /// <summary>Label smoothing epsilon of the ID loss.</summary>
    public double LabelSmoothing { get; init; } = 0.1;

    /// <summary>Random horizontal flip probability.</summary>
    public double FlipProbability { get; init; } = 0.5;

    /// <summary>
    /// Random translation: "random2d" (the public code's Random2DTranslation: with probability
    /// <see cref="TranslationProbability"/> resize to 1.125 x the input size, then crop the input size at a random
    /// place), "pad" (zero-pad <see cref="Padding"/> pixels, then crop at a random place; this project's earlier
    /// recipe) or "none".
    /// </summary>
    public string Translation { get; init; } = "random2d";

    /// <summary>Probability of Random2DTranslation's enlarge-and-crop (public code: 0.5).</summary>
    public double TranslationProbability { get; init; } = 0.5;

    /// <summary>Padding of the "pad" translation, pixels.</summary>
    public int Padding { get; init; } = 10;

    /// <summary>Random erasing probability.</summary>
    public double ErasingProbability { get; init; } = 0.5;

    /// <summary>
    /// What random erasing writes into the normalised tensor: "meanValues" (the public code: the numbers 0.485, 0.456,
    /// 0.406) or "zero" (0, the ImageNet mean colour after normalisation).
    /// </summary>
    public string ErasingFill { get; init; } = "meanValues";

    /// <summary>SAN-PG: batch size (pairs).</summary>
    public int PgBatchSize { get; init; } = 16;

    /// <summary>SAN-PG: learning rate of the Adam over SA-Enc and SA-Dec.</summary>
    public double PgLr { get; init; } = 2e-4;

    /// <summary>SAN-PG: training epochs.</summary>
    public int PgEpochs { get; init; } = 20;

    /// <summary>SAN-PG: fraction of texture identities held out for validation L1 (0 = none).</summary>
    public double PgHoldOut { get; init; } = 0.1;

    /// <summary>Master seed: model initialisation, sampler, augmentation and triplet draws.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Stop an epoch after this many steps (0 = whole epoch). For benchmarks and smoke runs.</summary>
    public int MaxStepsPerEpoch { get; init; }

    /// <summary>Evaluate query/gallery every this many epochs and at the end (0 = only at the end, -1 = never).</summary>
    public int EvalEvery { get; init; }

    /// <summary>Write a texture preview PNG every this many epochs (0 = never).</summary>
    public int PreviewEvery { get; init; } = 10;

    /// <summary>Image decoding threads (-1 = runtime default).</summary>
    public int Workers { get; init; } = -1;

    /// <summary>Serialiser options: camelCase, unknown keys rejected, indented.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Reads a config file; keys it omits keep the SAN defaults.</summary>
    /// <exception cref="TrainingConfigException">Missing file, invalid JSON, unknown key or bad value (file named).</exception>
    public static TrainingConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new TrainingConfigException($"Config file '{path}' does not exist.");
        }

        try
        {
            var config = JsonSerializer.Deserialize<TrainingConfig>(File.ReadAllText(path), JsonOptions)
                ?? throw new TrainingConfigException($"Config file '{path}' is empty.");
            config.Validate();
            return config;
        }
        catch (JsonException e)
        {
            throw new TrainingConfigException($"Config file '{path}': {e.Message}", e);
        }
    }

    /// <summary>Writes the config as indented JSON.</summary>
    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, JsonOptions));

    /// <summary>
    /// Returns a copy with <c>key=value</c> overrides applied in order. The key is a JSON key (case-insensitive);
    /// the value is JSON (<c>lr=1e-3</c>, <c>lrMilestones=[10,20]</c>, <c>backbone=resnet18</c>: a bare word is a string).
    /// </summary>
    /// <exception cref="TrainingConfigException">Malformed pair, unknown key, or a value of the wrong type or range.</exception>
    public TrainingConfig With(IEnumerable<string> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var node = JsonSerializer.SerializeToNode(this, JsonOptions)!.AsObject();
        foreach (var pair in overrides)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new TrainingConfigException($"Override '{pair}' is not key=value.");
            }

            var key = pair[..eq].Trim();
            var text = pair[(eq + 1)..].Trim();
            var name = node.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase))
                ?? throw new TrainingConfigException($"Unknown config key '{key}'. Known keys: {string.Join(", ", node.Select(p => p.Key))}.");
            JsonNode? value;
            try
            {
                value = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                value = JsonValue.Create(text);
            }

            node[name] = value;
        }

        TrainingConfig result;
        try
        {
            result = node.Deserialize<TrainingConfig>(JsonOptions)!;
        }
        catch (JsonException e)
        {
            throw new TrainingConfigException($"Bad override value: {e.Message}", e);
        }

        result.Validate();
        return result;
    }

    /// <summary>The training augmentation these keys describe (translation, flip, random erasing; DESIGN.md "Training recipe").</summary>
    public ReidTransformOptions Augmentation() =>
        new()
        {
            Translation = Translation switch
            {
                "pad" => TranslationKind.Pad,
                "none" => TranslationKind.None,
                _ => TranslationKind.Random2D,
            },
            TranslationProbability = TranslationProbability,
            FlipProbability = FlipProbability,
            Padding = Padding,
            ErasingProbability = ErasingProbability,
            ErasingFill = ErasingFill == "zero" ? ErasingFillKind.Zero : ErasingFillKind.MeanValues,
        };

    /// <summary>Checks ranges and consistency.</summary>
    /// <exception cref="TrainingConfigException">The first bad value, named.</exception>
    public void Validate()
    {
        void Require(bool ok, string message)
        {
            if (!ok)
            {
                throw new TrainingConfigException(message);
            }
        }

        Require(Backbone is "resnet18" or "resnet50", $"backbone must be resnet18 or resnet50, got '{Backbone}'.");
        Require(Height >= 32 && Height % 16 == 0, $"height must be a multiple of 16 and >= 32, got {Height}.");
        Require(Width * 2 == Height, $"width must be height / 2 (SA-Dec writes an H x 2W texture), got {Height} x {Width}.");
        Require(P >= 2, $"p must be >= 2 (the triplet losses need two identities), got {P}.");
        Require(K >= 2, $"k must be >= 2 (the triplet losses need two images per identity), got {K}.");
        Require(Epochs >= 1 && PgEpochs >= 1, "epochs and pgEpochs must be >= 1.");
        Require(Lr > 0 && DecoderLr > 0 && PgLr > 0 && WarmupStartLr > 0, "learning rates must be > 0.");
        Require(WeightDecay >= 0, "weightDecay must be >= 0.");
        Require(Beta1 is >= 0 and < 1 && Beta2 is >= 0 and < 1 && DecoderBeta1 is >= 0 and < 1 && DecoderBeta2 is >= 0 and < 1, "betas must be in [0, 1).");
        Require(WarmupEpochs >= 0 && WarmupFactor >= 1, "warmupEpochs must be >= 0 and warmupFactor >= 1.");
        Require(LrMilestones.All(m => m >= 0) && LrMilestones.SequenceEqual(LrMilestones.Order()), "lrMilestones must be ascending non-negative epochs.");
        Require(LrDecay is > 0 and <= 1, "lrDecay must be in (0, 1].");
        Require(new[] { IdWeight, TripletWeight, TextureWeight, TripletReidWeight }.All(w => w >= 0), "loss weights must be >= 0.");
        Require(Margin >= 0 && TripletReidMargin >= 0, "margins must be >= 0.");
        Require(TripletReidMining is "random" or "batchhard", $"tripletReidMining must be random or batchhard, got '{TripletReidMining}'.");
        Require(LabelSmoothing is >= 0 and < 1, "labelSmoothing must be in [0, 1).");
        Require(FlipProbability is >= 0 and <= 1 && ErasingProbability is >= 0 and <= 1 && TranslationProbability is >= 0 and <= 1 && Padding >= 0, "augmentation probabilities must be in [0, 1] and padding >= 0.");
        Require(Translation is "random2d" or "pad" or "none", $"translation must be random2d, pad or none, got '{Translation}'.");
        Require(ErasingFill is "meanValues" or "zero", $"erasingFill must be meanValues or zero, got '{ErasingFill}'.");
        Require(PgBatchSize >= 1, "pgBatchSize must be >= 1.");
        Require(PgHoldOut is >= 0 and < 1, "pgHoldOut must be in [0, 1).");
        Require(MaxStepsPerEpoch >= 0 && EvalEvery >= -1 && PreviewEvery >= 0, "maxStepsPerEpoch, evalEvery, previewEvery out of range.");
    }
}

/// <summary>A config file or override is malformed or out of range; the message names the key or file.</summary>
public sealed class TrainingConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingConfigException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
