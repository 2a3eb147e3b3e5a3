using System.ComponentModel.DataAnnotations;

namespace SanReid.Api.Options;

/// <summary>
/// <c>SanReid:Retention</c>: camera systems keep N days. With <see cref="Days"/> &gt; 0 a background service deletes,
/// every <see cref="IntervalMinutes"/>, the gallery items whose <see cref="Column"/> is older than that (in transactions
/// of 5,000 rows, so adds and searches go on). Off by default.
/// </summary>
public sealed class RetentionOptions
{
    public const string Section = "SanReid:Retention";

    /// <summary>Days kept; 0 = no automatic pruning.</summary>
    [Range(0, 36_500)]
    public double Days { get; set; }

    /// <summary><c>captured_at</c> (items without a capture time are kept) or <c>created_at</c>.</summary>
    [Required]
    [RegularExpression("^(captured_at|created_at)$", ErrorMessage = "{0} must be captured_at or created_at.")]
    public string Column { get; set; } = "captured_at";

    /// <summary>Minutes between two prunings (the first runs once the service is ready).</summary>
    [Range(0.05, 10_080)]
    public double IntervalMinutes { get; set; } = 60;
}

/// <summary><c>SanReid:Import</c>: <c>POST /api/v1/gallery/embeddings</c> (precomputed embeddings).</summary>
public sealed class ImportOptions
{
    public const string Section = "SanReid:Import";

    /// <summary>Most embeddings in one request; more gives 413 <c>too_many_embeddings</c> and nothing is stored.</summary>
    [Range(1, 1_000_000)]
    public int MaxRows { get; set; } = 10_000;
}
