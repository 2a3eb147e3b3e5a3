namespace SanReid.Trainer.Data;

/// <summary>One re-ID crop on disk with its identity and camera.</summary>
/// <param name="Path">Full path of the image file.</param>
/// <param name="Pid">Person id as the dataset writes it (-1 junk, 0 distractor in Market-style test sets).</param>
/// <param name="CamId">Camera id, 1-based as the dataset writes it.</param>
/// <param name="Label">
/// Training class index 0..N-1 (train pids relabelled in ascending pid order), or -1 for query and gallery images,
/// which are never classified.
/// </param>
public sealed record ReidImage(string Path, int Pid, int CamId, int Label = -1);
