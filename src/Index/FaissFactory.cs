using System.Globalization;
using System.Text.RegularExpressions;

namespace SanReid.Index;

/// <summary>The index families SanReid supports (all inner product, all searchable with an id allow-list).</summary>
public enum FaissIndexKind
{
    /// <summary>"Flat": exact brute force.</summary>
    Flat,
    /// <summary>"IVF{nlist},Flat": inverted lists of exact vectors; needs training.</summary>
    IvfFlat,
    /// <summary>"HNSW{M}": graph; no training, no removal.</summary>
    Hnsw,
    /// <summary>"IVF{nlist},PQ{m}[x{nbits}]": inverted lists of product-quantised codes (lossy); needs training.</summary>
    IvfPq,
    /// <summary>"IVF{nlist},SQ8": inverted lists of 8-bit scalar-quantised vectors (D bytes each, lossy); needs
    /// training. A quarter of IVF-Flat's memory, so the exact float32 copy the store keeps for rescoring still fits.</summary>
    IvfSq8,
}

/// <summary>
/// A FAISS factory string checked against the grammar SanReid supports, before any native call.
/// </summary>
/// <remarks>
/// FAISS's own factory accepts far more than the shim can use safely: parameters it does not range-check crash the
/// process (HNSW0 segfaults on the second add, IVF0 aborts on an assert, HNSW1 allocates until out of memory, NSG
/// divides by zero), and compound indexes (refinement, PCA/OPQ pre-transforms, HNSW over PQ) break filtered search or
/// misreport their training size. Only the forms below are accepted:
/// <list type="bullet">
/// <item>"Flat"</item>
/// <item>"IVF{nlist},Flat", 1 ≤ nlist ≤ <see cref="MaxNlist"/></item>
/// <item>"HNSW{M}", <see cref="MinHnswM"/> ≤ M ≤ <see cref="MaxHnswM"/></item>
/// <item>"IVF{nlist},SQ8", 1 ≤ nlist ≤ <see cref="MaxNlist"/></item>
/// <item>"IVF{nlist},PQ{m}" or "IVF{nlist},PQ{m}x{nbits}", m divides D, <see cref="MinPqBits"/> ≤ nbits ≤
/// <see cref="MaxPqBits"/> (default 8)</item>
/// </list>
/// Numbers are decimal without leading zeros; the match is case-sensitive (FAISS's own spelling).
/// </remarks>
public sealed partial record FaissFactory
{
    /// <summary>Largest IVF list count (training then needs 39 × 65,536 ≈ 2.6 M vectors).</summary>
    public const int MaxNlist = 65_536;
    /// <summary>Smallest HNSW M (M ≤ 1 makes FAISS's level multiplier 1/ln M infinite or negative).</summary>
    public const int MinHnswM = 4;
    /// <summary>Largest HNSW M (2 × M neighbours per vector on level 0).</summary>
    public const int MaxHnswM = 256;
    /// <summary>Smallest PQ bits per sub-quantiser code.</summary>
    public const int MinPqBits = 4;
    /// <summary>Largest PQ bits per sub-quantiser code (FAISS's default, 256 centroids).</summary>
    public const int MaxPqBits = 8;

    /// <summary>The accepted forms, as listed in error messages.</summary>
    public const string AcceptedForms =
        "\"Flat\", \"IVF<nlist>,Flat\" (1 ≤ nlist ≤ 65536), \"HNSW<M>\" (4 ≤ M ≤ 256), " +
        "\"IVF<nlist>,SQ8\", \"IVF<nlist>,PQ<m>\" or \"IVF<nlist>,PQ<m>x<nbits>\" (m divides the dimension, 4 ≤ nbits ≤ 8, default 8)";

    private FaissFactory(string text, FaissIndexKind kind, int nlist, int hnswM, int pqM, int pqBits)
    {
        Text = text;
        Kind = kind;
        Nlist = nlist;
        HnswM = hnswM;
        PqM = pqM;
        PqBits = pqBits;
    }

    /// <summary>The factory string as given (and as passed to FAISS).</summary>
    public string Text { get; }

    /// <summary>The index family.</summary>
    public FaissIndexKind Kind { get; }

    /// <summary>IVF list count; 0 for Flat and HNSW.</summary>
    public int Nlist { get; }

    /// <summary>HNSW neighbours per vertex; 0 for other kinds.</summary>
    public int HnswM { get; }

    /// <summary>PQ sub-quantisers; 0 for other kinds.</summary>
    public int PqM { get; }

    /// <summary>PQ bits per code; 0 for other kinds.</summary>
    public int PqBits { get; }

    /// <summary>True when the index must be trained before vectors can be added (IVF).</summary>
    public bool NeedsTraining => Kind is FaissIndexKind.IvfFlat or FaissIndexKind.IvfPq or FaissIndexKind.IvfSq8;

    /// <summary>True when the index stores lossy codes (PQ), so its scores are approximations.</summary>
    public bool IsLossy => Kind is FaissIndexKind.IvfPq or FaissIndexKind.IvfSq8;

    /// <summary>Parses and range-checks a factory string for vectors of <paramref name="dimension"/> values.</summary>
    /// <exception cref="ArgumentException">The string is not one of <see cref="AcceptedForms"/>, a number is out of
    /// range, or PQ's m does not divide <paramref name="dimension"/>. The message lists the accepted forms.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimension"/> &lt; 1.</exception>
    public static FaissFactory Parse(string factory, int dimension)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(factory);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        Match match = Grammar().Match(factory);
        if (!match.Success)
        {
            throw Refuse(factory, "it is not one of the supported forms");
        }

        if (match.Groups["flat"].Success)
        {
            return new FaissFactory(factory, FaissIndexKind.Flat, 0, 0, 0, 0);
        }

        if (match.Groups["hnsw"].Success)
        {
            int m = Number(match, "hnsw");
            if (m < MinHnswM || m > MaxHnswM)
            {
                throw Refuse(factory, $"HNSW M = {m} is outside {MinHnswM}..{MaxHnswM}");
            }

            return new FaissFactory(factory, FaissIndexKind.Hnsw, 0, m, 0, 0);
        }

        int nlist = Number(match, "nlist");
        if (nlist < 1 || nlist > MaxNlist)
        {
            throw Refuse(factory, $"IVF nlist = {nlist} is outside 1..{MaxNlist}");
        }

        if (match.Groups["sq8"].Success)
        {
            return new FaissFactory(factory, FaissIndexKind.IvfSq8, nlist, 0, 0, 0);
        }

        if (!match.Groups["pq"].Success)
        {
            return new FaissFactory(factory, FaissIndexKind.IvfFlat, nlist, 0, 0, 0);
        }

        int pqM = Number(match, "pq");
        if (pqM < 1 || pqM > dimension || dimension % pqM != 0)
        {
            throw Refuse(factory, $"PQ m = {pqM} does not divide the dimension {dimension}");
        }

        int bits = match.Groups["bits"].Success ? Number(match, "bits") : MaxPqBits;
        if (bits < MinPqBits || bits > MaxPqBits)
        {
            throw Refuse(factory, $"PQ nbits = {bits} is outside {MinPqBits}..{MaxPqBits}");
        }

        return new FaissFactory(factory, FaissIndexKind.IvfPq, nlist, 0, pqM, bits);
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    private static int Number(Match match, string group) =>
        int.TryParse(match.Groups[group].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? value
            : int.MaxValue; // more digits than an int holds: out of every range

    private static ArgumentException Refuse(string factory, string why) =>
        new($"Index factory '{factory}' is not supported: {why}. Accepted: {AcceptedForms}.", nameof(factory));

    // [0-9] rather than \d (which matches every Unicode digit); "0|[1-9]..." forbids leading zeros so each
    // configuration has one spelling, while still letting "IVF0" reach the range check with a clear message.
    [GeneratedRegex(
        "^(?:(?<flat>Flat)|HNSW(?<hnsw>0|[1-9][0-9]{0,9})|IVF(?<nlist>0|[1-9][0-9]{0,9}),(?:Flat|(?<sq8>SQ8)|PQ(?<pq>0|[1-9][0-9]{0,9})(?:x(?<bits>0|[1-9][0-9]{0,9}))?))$",
        RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();
}
