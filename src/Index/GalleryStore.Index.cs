using System.Diagnostics;

namespace SanReid.Index;

/// <summary>The index lifecycle of <see cref="GalleryStore"/>: at open, load the index file or build; after changes,
/// build (inline, or in the background while the current index serves) what <see cref="IndexPolicy"/> asks for; swap
/// it in with the adds and deletes made meanwhile replayed; write the index file.</summary>
public sealed partial class GalleryStore
{
    private Task? buildTask;
    private List<long>? addedDuringBuild;
    private List<long>? deletedDuringBuild;
    private bool changedSincePersist;

    /// <summary>Test seam: runs (off-lock) in a background build after its new index is filled and persisted, before
    /// the adds and deletes made meanwhile are replayed and the index swapped in.</summary>
    internal Action? BeforeSwap { get; set; }

    /// <summary>Waits for background index work in progress (a build, or an nprobe re-check and the retrain it may
    /// start); true when none is left running.</summary>
    public bool WaitForIndexBuild(TimeSpan? timeout = null)
    {
        var watch = Stopwatch.StartNew();
        TimeSpan limit = timeout ?? Timeout.InfiniteTimeSpan;
        while (true)
        {
            Task? build;
            using (locks.Read())
            {
                build = buildTask;
            }

            if (build is null || build.IsCompleted)
            {
                return true;
            }

            TimeSpan left = limit == Timeout.InfiniteTimeSpan ? limit : limit - watch.Elapsed;
            if (left != Timeout.InfiniteTimeSpan && left <= TimeSpan.Zero)
            {
                return false;
            }

            try
            {
                if (!build.Wait(left))
                {
                    return false;
                }
            }
            catch (AggregateException)
            {
            }
        }
    }

    /// <summary>
    /// Builds the index the gallery's size calls for again (retrains IVF on the current items), in the background when
    /// <see cref="GalleryStoreOptions.BackgroundIndexBuild"/> is set (the current index serves meanwhile), else before
    /// returning. False when a build is already running or the gallery is too small for anything but exact search.
    /// </summary>
    public bool RebuildIndex()
    {
        using var _ = locks.Write();
        if (buildTask is { IsCompleted: false })
        {
            return false;
        }

        configuredIndexFailed = false;
        string target = WantedFactory();
        if (target == "Flat")
        {
            return false;
        }

        StartBuild(target);
        return true;
    }

    private string WantedFactory() =>
        IndexPolicy.Wanted(configured, configuredTrainingPoints, configuredIndexFailed, catalog.Count, Options.AutoFlatLimit);

    /// <summary>At open (nothing shared yet): load the index file, or build inline, or start a background build.
    /// Returns what it did (<see cref="GalleryOpenReport.IndexSource"/>).</summary>
    private string OpenIndex()
    {
        string wanted = WantedFactory();
        if (wanted == "Flat")
        {
            return "exact";
        }

        if (Options.PersistIndex && indexFile.TryLoad(Dimension, Usable, catalog, arena) is { } loaded)
        {
            var description = loaded.Description;
            active = new ActiveIndex(loaded.Index, description.Factory, loaded.Index.Nprobe, description.Recall,
                description.Items, FaissFactory.Parse(description.Factory, Dimension).IsLossy);
            changedSincePersist = loaded.Reconciled > 0;
            return loaded.Reconciled > 0 ? $"file+{loaded.Reconciled}" : "file";
        }

        StartBuild(wanted);
        return Options.BackgroundIndexBuild ? "background" : "built";

        bool Usable(string factory) => configured is null ? FaissFactory.Parse(factory, Dimension).NeedsTraining : factory == wanted;
    }

    /// <summary>After an add or delete (write lock held): starts what <see cref="IndexPolicy.AfterChange"/> asks for.</summary>
    private void MaybeRebuild()
    {
        if (buildTask is { IsCompleted: false } || disposed || configuredIndexFailed)
        {
            // A failed build is not retried on every add or delete; the next open tries again.
            return;
        }

        (IndexStep step, string? target) = IndexPolicy.AfterChange(configured, configuredTrainingPoints, active, catalog.Count, Options.AutoFlatLimit);
        switch (step)
        {
            case IndexStep.Build:
                StartBuild(target!);
                break;
            case IndexStep.Recheck when Options.BackgroundIndexBuild:
                active!.CalibratedFor = catalog.Count;
                buildTask = Task.Run(() => Recheck(lockHeld: false));
                break;
            case IndexStep.Recheck:
                Recheck(lockHeld: true);
                break;
        }
    }

    /// <summary>Write lock held (or not shared yet): builds inline, or starts a background build.</summary>
    private void StartBuild(string target)
    {
        builds++;
        if (!Options.BackgroundIndexBuild)
        {
            BuildInline(target);
            return;
        }

        int rows = catalog.Rows;
        // Rows below `rows` keep their items until the build is swapped in: freed positions are not reused meanwhile,
        // so every item added from now on lands at or above `rows` and is replayed from addedDuringBuild.
        catalog.FreezeReuse = true;
        addedDuringBuild = [];
        deletedDuringBuild = [];
        buildTask = Task.Run(() => BuildInBackground(target, rows));
    }

    /// <summary>Builds with the write lock held (or before the store is shared); never throws.</summary>
    private void BuildInline(string target)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            (FaissIndex index, int? probes, double? recall) = IndexBuilder.Build(
                target, new GalleryRows(locks, catalog, arena, lockHeld: true), catalog.Rows, Options.TargetRecall, beforeIndexBuild);
            Swap(new ActiveIndex(index, target, probes, recall, catalog.Count, Lossy(target)), watch);
            changedSincePersist = !PersistIfTrained(active!, catalog.MaxId);
        }
        catch (Exception e)
        {
            RecordFailure(target, e);
        }
    }

    private void BuildInBackground(string target, int rows)
    {
        var watch = Stopwatch.StartNew();
        ActiveIndex? built = null;
        var reader = new GalleryRows(locks, catalog, arena, lockHeld: false);
        try
        {
            (FaissIndex index, int? probes, double? recall) = IndexBuilder.Build(target, reader, rows, Options.TargetRecall, beforeIndexBuild);
            built = new ActiveIndex(index, target, probes, recall, 0, Lossy(target));

            // Replay the adds made during the build outside the write lock, a chunk per read hold, until few are left.
            int applied = 0;
            while (true)
            {
                int before = applied;
                (long[] ids, float[] vectors) = CopyAdded(ref applied, reader, GalleryRows.Chunk);
                if (ids.Length > 0)
                {
                    built.Index.Add(vectors, ids);
                }

                if (applied - before < 128)
                {
                    break;
                }
            }

            // Not shared yet: writing it races with nothing. Items added or deleted later are reconciled at the next
            // open (ids above MaxId added, ids not alive removed), or written again at close.
            bool persisted = Options.PersistIndex && PersistIfTrained(built, MaxIncludedId(rows, applied));

            BeforeSwap?.Invoke();
            using (locks.Write())
            {
                // The last adds and every delete made during the build, then the swap: one short exclusive hold.
                (long[] ids, float[] vectors) = CopyAdded(ref applied, new GalleryRows(locks, catalog, arena, lockHeld: true));
                if (ids.Length > 0)
                {
                    built.Index.Add(vectors, ids);
                }

                long[] deleted = [.. deletedDuringBuild!];
                if (deleted.Length > 0)
                {
                    if (built.Index.SupportsRemove)
                    {
                        built.Index.Remove(deleted);
                    }
                    else
                    {
                        built.Tombstones.UnionWith(deleted);
                    }
                }

                changedSincePersist = !persisted || ids.Length > 0 || deleted.Length > 0;
                Swap(new ActiveIndex(built.Index, target, built.Nprobe, built.CalibratedRecall, catalog.Count, built.Lossy)
                {
                    Tombstones = built.Tombstones,
                }, watch);
                built = null;
            }
        }
        catch (Exception e)
        {
            built?.Dispose();
            if (e is ObjectDisposedException || disposed)
            {
                EndBuild(locked: false);
                return;
            }

            try
            {
                using (locks.Write())
                {
                    RecordFailure(target, e);
                }
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Ids and rows added during the build from <paramref name="applied"/> on, still alive; at most
    /// <paramref name="max"/> of them, so that one read-lock hold copies a bounded amount (a 40 s build under a bulk load
    /// saw 100,000 adds: copied in one hold, they kept a writer waiting 0.6-1.2 s; ScaleBench --n 1000000).</summary>
    private (long[] Ids, float[] Vectors) CopyAdded(ref int applied, GalleryRows reader, int max = int.MaxValue)
    {
        using GalleryLocks.Scope? _ = reader.Guard();
        List<long> added = addedDuringBuild!;
        int end = (int)Math.Min(added.Count, (long)applied + max);
        var ids = new long[end - applied];
        var vectors = new float[(end - applied) * arena.Dimension];
        int count = 0;
        for (; applied < end; applied++)
        {
            if (catalog.TryGetPosition(added[applied], out int position))
            {
                ids[count] = added[applied];
                arena.Row(position).CopyTo(vectors.AsSpan(count * arena.Dimension));
                count++;
            }
        }

        return count == ids.Length ? (ids, vectors) : (ids[..count], vectors[..(count * arena.Dimension)]);
    }

    private long MaxIncludedId(int rows, int applied)
    {
        using var _ = locks.Read();
        long max = 0;
        for (int p = 0; p < rows; p++)
        {
            max = Math.Max(max, catalog.IdAt(p));
        }

        for (int i = 0; i < applied; i++)
        {
            max = Math.Max(max, addedDuringBuild![i]);
        }

        return max;
    }

    private bool Lossy(string target) => FaissFactory.Parse(target, Dimension).IsLossy;

    /// <summary>Write lock held: the new index replaces the old one.</summary>
    private void Swap(ActiveIndex built, Stopwatch watch)
    {
        ActiveIndex? old = active;
        active = built;
        lastBuildSeconds = watch.Elapsed.TotalSeconds;
        if (configured is null || built.Factory == configured.Text)
        {
            lastIndexError = null;
        }

        EndBuild(locked: true);
        old?.Dispose();
    }

    private void RecordFailure(string target, Exception e)
    {
        configuredIndexFailed = true;
        lastIndexError = $"Building the {target} index from {catalog.Count} vectors failed; the {ActiveIndexFactory} " +
            $"index stays in use until the next open. {e.GetType().Name}: {e.Message}";
        EndBuild(locked: true);
    }

    private void EndBuild(bool locked)
    {
        using GalleryLocks.Scope? _ = locked ? null : locks.WriteForClose();
        catalog.FreezeReuse = false;
        addedDuringBuild = null;
        deletedDuringBuild = null;
    }

    /// <summary>
    /// The gallery grew by a quarter since nprobe was calibrated: measure recall again on the index in use (one query per
    /// read-lock hold). Raise nprobe up to nlist / 4 if that meets the target; otherwise build the index again
    /// (retrain). Runs in the build slot, so no build or swap overlaps it.
    /// </summary>
    private void Recheck(bool lockHeld)
    {
        try
        {
            ActiveIndex current;
            int rows;
            using (GalleryLocks.Scope? scope = lockHeld ? null : locks.Read())
            {
                current = active!;
                rows = catalog.Rows;
            }

            int start = current.Nprobe ?? 1;
            int nlist = current.Index.Nlist ?? 1;
            (int? probes, double? recall) = NprobeCalibrator.Calibrate(current.Index, new GalleryRows(locks, catalog, arena, lockHeld),
                rows, start, Math.Max(start, nlist / 4), shared: true, Options.TargetRecall);
            using (GalleryLocks.Scope? scope = lockHeld ? null : locks.Write())
            {
                if (active != current)
                {
                    return;
                }

                current.CalibratedFor = catalog.Count;
                if (recall >= Math.Min(1.0, Options.TargetRecall + 0.02))
                {
                    current.Index.Nprobe = probes;
                    current.Nprobe = probes;
                    current.CalibratedRecall = recall;
                    changedSincePersist = true;
                    return;
                }

                // More probes would not do: the coarse quantizer no longer fits the data. Retrain.
                StartBuild(configured?.Text ?? IndexPolicy.Choose(catalog.Count, Options.AutoFlatLimit));
            }
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Writes a trained index (IVF) to the index file (HNSW and Flat are rebuilt at open instead); true when
    /// written.</summary>
    private bool PersistIfTrained(ActiveIndex built, long maxId) =>
        Options.PersistIndex && FaissFactory.Parse(built.Factory, Dimension).NeedsTraining
            && indexFile.Write(built.Index, built.Factory, built.Nprobe, built.CalibratedRecall, maxId);

    /// <summary>At Dispose (write lock held, no build running): write the index as it is now if it changed since it
    /// was loaded or written, so the next open loads it as is.</summary>
    private void PersistOnClose()
    {
        if (active is null || active.Tombstones.Count > 0 || !changedSincePersist)
        {
            return;
        }

        changedSincePersist = !PersistIfTrained(active, catalog.MaxId);
    }
}
