namespace SanReid.Trainer.Data;

/// <summary>
/// The lists every <see cref="IReidDataset"/> holds once loaded; <see cref="MarketLayoutDataset"/> and
/// <see cref="Msmt17Dataset"/> differ only in how they read them.
/// </summary>
/// <param name="root">The dataset root folder (full path).</param>
/// <param name="train">Training images, labels 0..<paramref name="numTrainIds"/>-1 (pid -1 removed).</param>
/// <param name="query">Query images (Label -1).</param>
/// <param name="gallery">Gallery images (Label -1; junk and distractors kept for the evaluator).</param>
/// <param name="numTrainIds">Number of training identities.</param>
public abstract class ReidDataset(string root, IReadOnlyList<ReidImage> train, IReadOnlyList<ReidImage> query, IReadOnlyList<ReidImage> gallery, int numTrainIds) : IReidDataset
{
    /// <inheritdoc />
    public string Root { get; } = root;

    /// <inheritdoc />
    public IReadOnlyList<ReidImage> Train { get; } = train;

    /// <inheritdoc />
    public IReadOnlyList<ReidImage> Query { get; } = query;

    /// <inheritdoc />
    public IReadOnlyList<ReidImage> Gallery { get; } = gallery;

    /// <inheritdoc />
    public int NumTrainIds { get; } = numTrainIds;
}
