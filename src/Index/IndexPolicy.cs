namespace SanReid.Index;

/// <summary>
/// The index the store builds for itself when <see cref="GalleryStoreOptions.IndexFactory"/> is
/// <see cref="GalleryStoreOptions.AutoIndex"/>: exact "Flat" below <see cref="GalleryStoreOptions.AutoFlatLimit"/>
/// items, then "IVF{nlist},SQ8" with nlist the power of two at or below 4·√N (FAISS's guideline of 4-16·√N lists),
/// at least 64 and at most N / 39 (39 training points per centroid). SQ8 codes take D bytes per vector, a quarter of
/// the float32 copy the store keeps for exact rescoring, so both together stay within 1.25x the raw vector bytes.
/// </summary>
public static class IndexPolicy
{
    /// <summary>The factory string for a gallery of <paramref name="items"/> vectors.</summary>
    public static string Choose(long items, int flatLimit)
    {
        if (items < flatLimit || items < 39 * 64)
        {
            return "Flat";
        }

        return $"IVF{Nlist(items)},SQ8";
    }

    /// <summary>IVF list count for <paramref name="items"/> vectors (see the type's remarks).</summary>
    public static int Nlist(long items)
    {
        double target = 4 * Math.Sqrt(items);
        int nlist = 64;
        while (nlist * 2 <= target && nlist * 2 <= FaissFactory.MaxNlist && nlist * 2L * 39 <= items)
        {
            nlist *= 2;
        }

        return nlist;
    }

    /// <summary>True when a store on <paramref name="active"/> (built for <paramref name="builtFor"/> items) should build
    /// another index now that it holds <paramref name="items"/>: from Flat once past the limit, and an IVF again once
    /// the gallery has doubled (its nlist is then a size behind).</summary>
    public static bool ShouldRebuild(string active, long builtFor, long items, int flatLimit)
    {
        string wanted = Choose(items, flatLimit);
        if (wanted == active)
        {
            return false;
        }

        return active == "Flat" ? wanted != "Flat" : items >= 2 * builtFor;
    }
}
