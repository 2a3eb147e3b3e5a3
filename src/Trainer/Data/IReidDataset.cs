namespace SanReid.Trainer.Data;

/// <summary>
/// A re-ID dataset split into train, query and gallery lists (Market-1501 protocol; DESIGN.md "Evaluation protocol").
/// Implemented by <see cref="MarketLayoutDataset"/> (Market-1501, DukeMTMC-reID, CUHK03-NP) and
/// <see cref="Msmt17Dataset"/> (MSMT17 list files).
/// </summary>
public interface IReidDataset
{
    /// <summary>The dataset root folder.</summary>
    string Root { get; }

    /// <summary>Training images with labels 0..<see cref="NumTrainIds"/>-1 (pid -1 removed).</summary>
    IReadOnlyList<ReidImage> Train { get; }

    /// <summary>Query images (Label -1).</summary>
    IReadOnlyList<ReidImage> Query { get; }

    /// <summary>Gallery images (Label -1; junk and distractors kept for the evaluator).</summary>
    IReadOnlyList<ReidImage> Gallery { get; }

    /// <summary>Number of training identities (the ID classifier's output size).</summary>
    int NumTrainIds { get; }
}
