using SanReid.Imaging;
using static TorchSharp.torch;

namespace SanReid.Trainer.Data;

/// <summary>
/// One training batch as tensors. The caller owns and disposes them (<see cref="Dispose"/> disposes all).
/// </summary>
/// <param name="Images">[B, 3, H, W] float32, ImageNet-normalised, augmented (<see cref="ReidTransforms.Train(Func{int, int, RgbCrop}, int, int, Random, ReidTransformOptions?)"/>).</param>
/// <param name="Labels">[B] int64 training labels (0..N-1), or all -1 for paired SAN-PG data.</param>
/// <param name="Textures">[B, 3, T, T] float32 in [-1, 1] (never flipped), or null when no texture was asked for.</param>
public sealed record TrainingBatch(Tensor Images, Tensor Labels, Tensor? Textures) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
        Textures?.Dispose();
    }
}

/// <summary>
/// Reads, augments and stacks dataset items into tensors: files go through <see cref="CropReader"/> (SanReid.Imaging),
/// pixels through <see cref="ReidTransforms"/>.
/// </summary>
/// <remarks>
/// Deterministic: each item's augmentation draws from its own generator seeded from <c>random</c> in batch order
/// before decoding starts, so a batch depends only on its indices and the generator state, not on thread timing.
/// Files are decoded in parallel.
/// </remarks>
/// <param name="reader">File reader (input and texture sizes).</param>
/// <param name="augment">Training augmentation; null = SAN recipe.</param>
/// <param name="maxDegreeOfParallelism">Decoding threads; -1 lets the runtime choose.</param>
public sealed class ReidBatchBuilder(CropReader reader, ReidTransformOptions? augment = null, int maxDegreeOfParallelism = -1)
{
    private readonly ReidTransformOptions options = augment ?? new ReidTransformOptions();

    /// <summary>A re-ID training batch: images[indices] with their labels and, when <paramref name="textures"/> is given, their textures.</summary>
    /// <param name="items">Training images (labels 0..N-1).</param>
    /// <param name="indices">Batch indices into <paramref name="items"/> (e.g. one <see cref="RandomIdentitySampler"/> batch).</param>
    /// <param name="random">Generator for augmentation.</param>
    /// <param name="textures">Texture lookup for the SAN texture step; null for baseline batches.</param>
    /// <param name="device">Device of the returned tensors; null = CPU.</param>
    /// <exception cref="ReidDatasetException">A file is missing or unreadable, or an image has no texture (named in the message).</exception>
    public TrainingBatch Build(IReadOnlyList<ReidImage> items, IReadOnlyList<int> indices, Random random, TextureLookup? textures = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(random);
        var chosen = indices.Select(i => items[i]).ToArray();
        var texturePaths = textures is null ? null : chosen.Select(item => textures.Find(item.Path)).ToArray();
        return Assemble(chosen.Select(i => i.Path).ToArray(), texturePaths, chosen.Select(i => (long)i.Label).ToArray(), random, device);
    }

    /// <summary>A SAN-PG batch of paired images and textures (labels -1).</summary>
    /// <exception cref="ReidDatasetException">A file is missing or unreadable.</exception>
    public TrainingBatch BuildPaired(IReadOnlyList<TexturePair> pairs, IReadOnlyList<int> indices, Random random, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(random);
        var chosen = indices.Select(i => pairs[i]).ToArray();
        return Assemble(chosen.Select(p => p.ImagePath).ToArray(), chosen.Select(p => p.TexturePath).ToArray(), Enumerable.Repeat(-1L, chosen.Length).ToArray(), random, device);
    }

    /// <summary>Evaluation input: the files, normalised without augmentation (mirrored when <paramref name="flip"/>), as [B, 3, H, W].</summary>
    /// <exception cref="ReidDatasetException">A file is missing or unreadable.</exception>
    public Tensor BuildEval(IReadOnlyList<string> paths, bool flip = false, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var crops = Decode(paths, reader.ReadImage);
        return Stack(crops.Select(c => ReidTransforms.Eval(c, flip)).ToArray(), crops, device);
    }

    /// <summary>Target textures: the files as [B, 3, T, T] float32 in [-1, 1] (<see cref="ReidTransforms.Texture"/>, never flipped), decoded in parallel.</summary>
    /// <exception cref="ReidDatasetException">A file is missing or unreadable.</exception>
    public Tensor BuildTextures(IReadOnlyList<string> paths, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var crops = Decode(paths, reader.ReadTexture);
        return Stack(crops.Select(ReidTransforms.Texture).ToArray(), crops, device);
    }

    private TrainingBatch Assemble(string[] imagePaths, string[]? texturePaths, long[] labels, Random random, Device? device)
    {
        if (imagePaths.Length == 0)
        {
            throw new ArgumentException("A batch needs at least one item.");
        }

        var seeds = imagePaths.Select(_ => random.Next()).ToArray();
        var (h, w) = (reader.ImageHeight, reader.ImageWidth);
        var images = new float[imagePaths.Length][];
        // Each item decodes inside its transform: Random2DTranslation decides from the item's generator whether the
        // file is decoded at the input size or at 1.125 times it, as the public code resizes the original image.
        ParallelFor(imagePaths.Length, i =>
            images[i] = ReidTransforms.Train((height, width) => reader.ReadImage(imagePaths[i], height, width), h, w, new Random(seeds[i]), options));
        var textureTensor = texturePaths is null ? null : BuildTextures(texturePaths, device);

        return new TrainingBatch(Stack(images, h, w, device), ToDevice(tensor(labels, ScalarType.Int64), device), textureTensor);
    }

    private RgbCrop[] Decode(IReadOnlyList<string> paths, Func<string, RgbCrop> read)
    {
        var crops = new RgbCrop[paths.Count];
        ParallelFor(paths.Count, i => crops[i] = read(paths[i]));
        return crops;
    }

    /// <summary>Parallel.For over the decoding threads that rethrows the body's first exception (a named file error) itself.</summary>
    private void ParallelFor(int count, Action<int> body)
    {
        try
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }

    private static Tensor Stack(float[][] chw, RgbCrop[] crops, Device? device) => Stack(chw, crops[0].Height, crops[0].Width, device);

    private static Tensor Stack(float[][] chw, int h, int w, Device? device)
    {
        var data = new float[chw.Length * chw[0].Length];
        for (var i = 0; i < chw.Length; i++)
        {
            chw[i].CopyTo(data, i * chw[0].Length);
        }

        return ToDevice(tensor(data, [chw.Length, 3, h, w]), device);
    }

    private static Tensor ToDevice(Tensor cpu, Device? device)
    {
        if (device is null || device.type == TorchSharp.DeviceType.CPU)
        {
            return cpu;
        }

        using (cpu)
        {
            return cpu.to(device);
        }
    }
}
