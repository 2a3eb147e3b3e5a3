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

    /// <summary>The index a store wants for <paramref name="items"/>: with <paramref name="configured"/> null (Auto) the
    /// choice above; else the configured one once the gallery holds its training points, "Flat" before, for a Flat
    /// configuration, or after the configured one failed to build (tried again at the next open).</summary>
    internal static string Wanted(FaissFactory? configured, long trainingPoints, bool configuredFailed, long items, int flatLimit)
    {
        if (configured is null)
        {
            return Choose(items, flatLimit);
        }

        return configured.Kind == FaissIndexKind.Flat || configuredFailed || items < trainingPoints ? "Flat" : configured.Text;
    }

    /// <summary>
    /// What a store does after an add or delete: build <c>Target</c> (Auto crossed a size; the configured index became
    /// possible; a quarter of an HNSW graph is deleted items it cannot remove), re-check nprobe (an IVF gallery grew by
    /// a quarter since calibration), or nothing.
    /// </summary>
    internal static (IndexStep Step, string? Target) AfterChange(
        FaissFactory? configured, long trainingPoints, ActiveIndex? active, long items, int flatLimit)
    {
        string activeFactory = active?.Factory ?? "Flat";
        if (configured is null)
        {
            if (ShouldRebuild(activeFactory, active?.BuiltFor ?? 0, items, flatLimit))
            {
                return (IndexStep.Build, Choose(items, flatLimit));
            }
        }
        else if (activeFactory != configured.Text && Wanted(configured, trainingPoints, false, items, flatLimit) == configured.Text)
        {
            return (IndexStep.Build, configured.Text);
        }

        if (active is not null && active.Tombstones.Count > 0 && active.Tombstones.Count * 4L > active.Index.Count)
        {
            return (IndexStep.Build, active.Factory);
        }

        if (active?.Nprobe is not null && items >= active.CalibratedFor + active.CalibratedFor / 4 + 100)
        {
            return (IndexStep.Recheck, null);
        }

        return (IndexStep.None, null);
    }
}

/// <summary>What <see cref="IndexPolicy.AfterChange"/> asks for.</summary>
internal enum IndexStep
{
    None,
    Build,
    Recheck,
}
