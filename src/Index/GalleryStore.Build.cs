using System.Diagnostics;
using System.Text.Json;

namespace SanReid.Index;

/// <summary>The index half of <see cref="GalleryStore"/>: which index to build, building it (inline or in the
/// background while the current one serves), calibrating nprobe, and the index file cache.</summary>
public sealed partial class GalleryStore
{
    /// <summary>Rows copied out of the arena per read-lock hold while a background build adds them (8 MiB at D = 512).</summary>
    private const int BuildChunk = 4_096;

    /// <summary>Stored items used as queries when calibrating nprobe.</summary>
    private const int CalibrationQueries = 48;

    private Task? buildTask;
    private List<long>? addedDuringBuild;
    private List<long>? deletedDuringBuild;
    private long calibratedFor;

    /// <summary>Waits for a background index build in progress (if any); true when none is left running.</summary>
    public bool WaitForIndexBuild(TimeSpan? timeout = null)
    {
        Task? build;
        using (ReadLock())
        {
            build = buildTask;
        }

        return build is null || build.Wait(timeout ?? Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Builds the index the gallery's size calls for again (retrains IVF on the current items), in the background when
    /// <see cref="GalleryStoreOptions.BackgroundIndexBuild"/> is set (the current index serves meanwhile), else before
    /// returning. False when a build is already running or the gallery is too small for anything but exact search.
    /// </summary>
    public bool RebuildIndex()
    {
        using var _ = WriteLock();
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

        if (Options.BackgroundIndexBuild)
        {
            StartBackgroundBuild(target);
        }
        else
        {
            BuildInline(target);
        }

        return true;
    }

    private string IndexFilePath => Options.DatabasePath + ".faiss";

    private string IndexDescriptionPath => Options.DatabasePath + ".faiss.json";

    /// <summary>The index the store wants for its current size, or "Flat".</summary>
    private string WantedFactory()
    {
        if (configured is null)
        {
            return IndexPolicy.Choose(catalog.Count, Options.AutoFlatLimit);
        }

        return configured.Kind == FaissIndexKind.Flat || configuredIndexFailed || catalog.Count < configuredTrainingPoints
            ? "Flat"
            : configured.Text;
    }

    /// <summary>At open (nothing shared yet): load the index file, or build inline, or start a background build.</summary>
    private void OpenIndex()
    {
        string wanted = WantedFactory();
        if (wanted == "Flat")
        {
            return;
        }

        if (Options.PersistIndex && TryLoadPersisted(wanted))
        {
            return;
        }

        if (Options.BackgroundIndexBuild)
        {
            // Exact search over the in-memory copy answers until the build is done: ready at once.
            StartBackgroundBuild(wanted);
            return;
        }

        BuildInline(wanted);
    }

    /// <summary>After an add or delete (write lock held): starts the build the gallery's size or deletions call for.</summary>
    private void MaybeRebuild()
    {
        if (buildTask is { IsCompleted: false } || disposed || configuredIndexFailed)
        {
            // A failed build is not retried on every add or delete; the next open tries again.
            return;
        }

        string? target = null;
        if (configured is null)
        {
            if (IndexPolicy.ShouldRebuild(ActiveIndexFactory, builtFor, catalog.Count, Options.AutoFlatLimit))
            {
                target = IndexPolicy.Choose(catalog.Count, Options.AutoFlatLimit);
            }
        }
        else if (ActiveIndexFactory != configured.Text && WantedFactory() == configured.Text)
        {
            target = configured.Text;
        }

        if (target is null && index is not null && tombstones.Count > 0 && tombstones.Count * 4 > index.Count)
        {
            // A quarter of the index is deleted items that it cannot remove (HNSW): rebuild without them.
            target = ActiveIndexFactory;
        }

        if (target is null && index?.Nlist is not null && catalog.Count >= calibratedFor + calibratedFor / 4 + 100)
        {
            if (Options.BackgroundIndexBuild)
            {
                calibratedFor = catalog.Count;
                buildTask = Task.Run(() => Recheck(lockHeld: false));
            }
            else
            {
                Recheck(lockHeld: true);
            }

            return;
        }

        if (target is null)
        {
            return;
        }

        if (Options.BackgroundIndexBuild)
        {
            StartBackgroundBuild(target);
        }
        else
        {
            BuildInline(target);
        }
    }

    /// <summary>Builds with the write lock held (or before the store is shared); never throws.</summary>
    private void BuildInline(string target)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            BuiltIndex built = BuildIndex(target, catalog.Rows, lockHeld: true);
            Swap(built, target, watch);
        }
        catch (Exception e)
        {
            RecordFailure(target, e);
        }
    }

    /// <summary>Write lock held (or not shared yet): snapshot the rows a background build covers and start it.</summary>
    private void StartBackgroundBuild(string target)
    {
        int rows = catalog.Rows;
        // Rows below `rows` keep their items until the build is swapped in: freed positions are not reused meanwhile,
        // so every item added from now on lands at or above `rows` and is caught up from addedDuringBuild.
        catalog.FreezeReuse = true;
        addedDuringBuild = [];
        deletedDuringBuild = [];
        buildTask = Task.Run(() => BuildInBackground(target, rows));
    }

    private void BuildInBackground(string target, int rows)
    {
        var watch = Stopwatch.StartNew();
        BuiltIndex? built = null;
        try
        {
            built = BuildIndex(target, rows, lockHeld: false);

            // Catch up with the adds made during the build outside the write lock, until few are left.
            int applied = 0;
            while (true)
            {
                (long[] ids, float[] vectors) = CopyAdded(ref applied, lockHeld: false);
                if (ids.Length == 0)
                {
                    break;
                }

                built.Index.Add(vectors, ids);
                if (ids.Length < 128)
                {
                    break;
                }
            }

            if (Options.PersistIndex)
            {
                // Before the swap the new index is not shared: writing it races with nothing. Items added or deleted
                // later are reconciled at the next open (ids above MaxId added, ids not alive removed).
                Persist(built, target, MaxIncludedId(rows, applied));
            }

            using (WriteLock())
            {
                (long[] ids, float[] vectors) = CopyAdded(ref applied, lockHeld: true);
                if (ids.Length > 0)
                {
                    built.Index.Add(vectors, ids);
                }

                long[] deleted = [.. deletedDuringBuild!];
                var newTombstones = new HashSet<long>();
                if (deleted.Length > 0)
                {
                    if (built.Index.SupportsRemove)
                    {
                        built.Index.Remove(deleted);
                    }
                    else
                    {
                        newTombstones.UnionWith(deleted);
                    }
                }

                built = built with { Tombstones = newTombstones };
                Swap(built, target, watch);
                built = null;
            }
        }
        catch (Exception e)
        {
            built?.Index.Dispose();
            if (e is ObjectDisposedException)
            {
                EndBuild();
                return;
            }

            using (WriteLock())
            {
                RecordFailure(target, e);
            }
        }
    }

    /// <summary>Ids and rows added during the build from <paramref name="applied"/> on, still alive.</summary>
    private (long[] Ids, float[] Vectors) CopyAdded(ref int applied, bool lockHeld)
    {
        using LockScope? scope = lockHeld ? null : ReadLock();
        var ids = new List<long>();
        var vectors = new List<float>();
        List<long> added = addedDuringBuild!;
        for (; applied < added.Count; applied++)
        {
            if (catalog.TryGetPosition(added[applied], out int position))
            {
                ids.Add(added[applied]);
                vectors.AddRange(arena.Row(position));
            }
        }

        return ([.. ids], [.. vectors]);
    }

    private long MaxIncludedId(int rows, int applied)
    {
        using var _ = ReadLock();
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

    /// <summary>Write lock held: the new index replaces the old one.</summary>
    private void Swap(BuiltIndex built, string target, Stopwatch watch)
    {
        FaissIndex? old = index;
        index = built.Index;
        tombstones = built.Tombstones;
        nprobe = built.Nprobe;
        calibratedRecall = built.Recall;
        builtFor = catalog.Count;
        calibratedFor = catalog.Count;
        ActiveIndexFactory = target;
        lastBuildSeconds = watch.Elapsed.TotalSeconds;
        if (configured is null || target == configured.Text)
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

    private void EndBuild(bool locked = false)
    {
        if (!locked)
        {
            gate.EnterWriteLock();
        }

        try
        {
            catalog.FreezeReuse = false;
            addedDuringBuild = null;
            deletedDuringBuild = null;
        }
        finally
        {
            if (!locked)
            {
                gate.ExitWriteLock();
            }
        }
    }

    private sealed record BuiltIndex(FaissIndex Index, int? Nprobe, double? Recall, HashSet<long> Tombstones);

    /// <summary>
    /// Trains (on an even sample of the live rows) and fills a <paramref name="target"/> index with the live rows below
    /// <paramref name="rows"/>, then calibrates nprobe. With <paramref name="lockHeld"/> false, rows are copied out in
    /// chunks under the read lock and FAISS works outside it.
    /// </summary>
    private BuiltIndex BuildIndex(string target, int rows, bool lockHeld)
    {
        beforeIndexBuild?.Invoke(target);
        FaissIndex built = FaissIndex.Create(target, Dimension);
        try
        {
            if (!built.IsTrained)
            {
                long wanted = Math.Max(built.MinTrainingPoints, 64L * (built.Nlist ?? 1));
                float[] sample = CopySample(rows, wanted, lockHeld);
                built.Train(sample);
            }

            for (int start = 0; start < rows; start += BuildChunk)
            {
                (long[] ids, float[] vectors) = CopyRows(start, Math.Min(rows, start + BuildChunk), lockHeld);
                if (ids.Length > 0)
                {
                    built.Add(vectors, ids);
                }
            }

            (int? probes, double? recall) = Calibrate(built, rows, lockHeld, 8, built.Nlist ?? 1, shared: false);
            if (probes is { } p)
            {
                built.Nprobe = p;
            }

            return new BuiltIndex(built, probes, recall, []);
        }
        catch
        {
            built.Dispose();
            throw;
        }
    }

    private (long[] Ids, float[] Vectors) CopyRows(int start, int end, bool lockHeld)
    {
        using LockScope? scope = lockHeld ? null : ReadLock();
        var ids = new List<long>(end - start);
        var vectors = new float[(end - start) * Dimension];
        for (int p = start; p < end; p++)
        {
            if (catalog.IsAlive(p))
            {
                arena.Row(p).CopyTo(vectors.AsSpan(ids.Count * Dimension));
                ids.Add(catalog.IdAt(p));
            }
        }

        return ([.. ids], vectors[..(ids.Count * Dimension)]);
    }

    /// <summary>Live rows below <paramref name="rows"/> at an even stride, at most <paramref name="wanted"/>; copied in
    /// pieces of BuildChunk rows, one read-lock hold each.</summary>
    private float[] CopySample(int rows, long wanted, bool lockHeld)
    {
        int[] live;
        using (LockScope? scope = lockHeld ? null : ReadLock())
        {
            live = [.. catalog.AlivePositions().Where(p => p < rows)];
        }

        int take = (int)Math.Min(live.Length, wanted);
        var sample = new float[take * Dimension];
        for (int start = 0; start < take; start += BuildChunk)
        {
            using LockScope? scope = lockHeld ? null : ReadLock();
            for (int i = start; i < Math.Min(take, start + BuildChunk); i++)
            {
                // Rows below `rows` keep their vectors during a build (freed positions are not reused meanwhile).
                arena.Row(live[(int)((long)i * live.Length / take)]).CopyTo(sample.AsSpan(i * Dimension));
            }
        }

        return sample;
    }

    /// <summary>
    /// Measures recall@10 of <paramref name="target"/> (after the same exact rescoring of LossyCandidateFactor x 10
    /// candidates that search does) against exact search over the live rows below <paramref name="rows"/>, with stored
    /// items as queries (their own id left out): half the newest items, half spread over the gallery, so that drift
    /// since training shows. nprobe doubles from <paramref name="startProbes"/> until recall reaches TargetRecall +
    /// 0.02 or <paramref name="maxProbes"/>. (null, null) for non-IVF indexes. With <paramref name="shared"/> (the
    /// index in use), FAISS is searched under the read lock; rows are read in chunks under it unless
    /// <paramref name="lockHeld"/>.
    /// </summary>
    private (int? Nprobe, double? Recall) Calibrate(FaissIndex target, int rows, bool lockHeld, int startProbes, int maxProbes, bool shared)
    {
        if (target.Nlist is not { } nlist)
        {
            return (null, null);
        }

        const int k = 10;
        maxProbes = Math.Clamp(maxProbes, 1, nlist);
        float[] queries;
        long[] queryIds;
        using (LockScope? scope = lockHeld ? null : ReadLock())
        {
            int[] live = [.. catalog.AlivePositions().Where(p => p < rows)];
            if (live.Length <= 2 * k)
            {
                return (maxProbes, 1.0);
            }

            int q = Math.Min(CalibrationQueries, live.Length / 2);
            long[] newest = [.. live.Select(p => catalog.IdAt(p)).Order().TakeLast(q / 2)];
            var chosen = newest.Select(id => catalog.TryGetPosition(id, out int p) ? p : -1).Where(p => p >= 0).ToList();
            int spread = q - q / 2;
            for (int i = 0; i < spread; i++)
            {
                int p = live[(int)((long)i * live.Length / spread)];
                if (!chosen.Contains(p))
                {
                    chosen.Add(p);
                }
            }

            queries = new float[chosen.Count * Dimension];
            queryIds = new long[chosen.Count];
            for (int i = 0; i < chosen.Count; i++)
            {
                arena.Row(chosen[i]).CopyTo(queries.AsSpan(i * Dimension));
                queryIds[i] = catalog.IdAt(chosen[i]);
            }
        }

        // Exact truth, chunk by chunk: rows are copied out under the read lock, scored outside it, so writers never
        // wait for the dot products.
        const int TruthChunk = 2048;
        var heaps = queryIds.Select(_ => new PriorityQueue<long, float>()).ToArray();
        var chunkIds = new long[TruthChunk];
        var chunkRows = new float[TruthChunk * Dimension];
        for (int start = 0; start < rows; start += TruthChunk)
        {
            int count = 0;
            using (LockScope? scope = lockHeld ? null : ReadLock())
            {
                for (int p = start; p < Math.Min(rows, start + TruthChunk); p++)
                {
                    if (catalog.IsAlive(p))
                    {
                        chunkIds[count] = catalog.IdAt(p);
                        arena.Row(p).CopyTo(chunkRows.AsSpan(count++ * Dimension));
                    }
                }
            }

            Parallel.For(0, queryIds.Length, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
            {
                ReadOnlySpan<float> query = queries.AsSpan(i * Dimension, Dimension);
                PriorityQueue<long, float> heap = heaps[i];
                for (int r = 0; r < count; r++)
                {
                    if (chunkIds[r] == queryIds[i])
                    {
                        continue;
                    }

                    float score = System.Numerics.Tensors.TensorPrimitives.Dot(query, chunkRows.AsSpan(r * Dimension, Dimension));
                    if (heap.Count < k)
                    {
                        heap.Enqueue(chunkIds[r], score);
                    }
                    else if (heap.TryPeek(out _, out float weakest) && score > weakest)
                    {
                        heap.EnqueueDequeue(chunkIds[r], score);
                    }
                }
            });
        }

        HashSet<long>[] truth = [.. heaps.Select(h => h.UnorderedItems.Select(e => e.Element).ToHashSet())];
        double recall = 0;
        for (int probes = Math.Clamp(startProbes, 1, maxProbes); ; probes = Math.Min(maxProbes, probes * 2))
        {
            double found = 0;
            using (LockScope? scope = lockHeld || !shared ? null : ReadLock())
            {
                FaissHit[][] hits = target.SearchBitmap(queries, LossyCandidateFactor * (k + 1), null, probes);
                using LockScope? rows2 = lockHeld || shared ? null : ReadLock();
                for (int i = 0; i < hits.Length; i++)
                {
                    Span<float> query = queries.AsSpan(i * Dimension, Dimension);
                    var rescored = new List<(long Id, float Score)>();
                    foreach (FaissHit hit in hits[i])
                    {
                        if (hit.Id != queryIds[i] && catalog.TryGetPosition(hit.Id, out int p))
                        {
                            rescored.Add((hit.Id, arena.Dot(query, p)));
                        }
                    }

                    found += rescored.OrderByDescending(r => r.Score).Take(k).Count(r => truth[i].Contains(r.Id)) /
                        (double)Math.Max(1, truth[i].Count);
                }
            }

            recall = found / queryIds.Length;
            if (recall >= Math.Min(1.0, Options.TargetRecall + 0.02) || probes >= maxProbes)
            {
                return (probes, recall);
            }
        }
    }

    /// <summary>
    /// The gallery grew by a quarter since nprobe was calibrated: measure recall again on the index in use (newest
    /// items as half the queries, so drift since training shows). Raise nprobe up to nlist / 4 if that meets the target;
    /// otherwise build the index again (retrain). Runs in the build slot, so no build or swap overlaps it.
    /// </summary>
    private void Recheck(bool lockHeld)
    {
        try
        {
            FaissIndex current;
            int rows, start, nlist;
            using (LockScope? scope = lockHeld ? null : ReadLock())
            {
                current = index!;
                rows = catalog.Rows;
                start = nprobe ?? 1;
                nlist = current.Nlist ?? 1;
            }

            (int? probes, double? recall) = Calibrate(current, rows, lockHeld, start, Math.Max(start, nlist / 4), shared: true);
            using (LockScope? scope = lockHeld ? null : WriteLock())
            {
                calibratedFor = catalog.Count;
                if (recall >= Math.Min(1.0, Options.TargetRecall + 0.02))
                {
                    current.Nprobe = probes;
                    nprobe = probes;
                    calibratedRecall = recall;
                    return;
                }

                // More probes would not do: the coarse quantizer no longer fits the data. Retrain.
                string target = configured?.Text ?? IndexPolicy.Choose(catalog.Count, Options.AutoFlatLimit);
                if (lockHeld)
                {
                    BuildInline(target);
                }
                else
                {
                    StartBackgroundBuild(target);
                }
            }
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Index file description written beside the FAISS file.</summary>
    private sealed record IndexDescription(string Factory, int? Nprobe, double? Recall, long MaxId, long Items);

    private void Persist(BuiltIndex built, string target, long maxId)
    {
        if (!FaissFactory.Parse(target, Dimension).NeedsTraining)
        {
            return;
        }

        try
        {
            string temporary = IndexFilePath + ".tmp";
            built.Index.Write(temporary);
            File.Move(temporary, IndexFilePath, overwrite: true);
            File.WriteAllText(IndexDescriptionPath, JsonSerializer.Serialize(
                new IndexDescription(target, built.Nprobe, built.Recall, maxId, built.Index.Count)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FaissException)
        {
            // Only a cache: the next open trains again.
            GalleryFileLock.TryDelete(IndexDescriptionPath);
        }
    }

    /// <summary>At Dispose (write lock held, no build running): write the index as it is now, so the next open loads it.</summary>
    private void PersistOnClose()
    {
        if (!Options.PersistIndex || index is null || tombstones.Count > 0)
        {
            return;
        }

        Persist(new BuiltIndex(index, nprobe, calibratedRecall, []), ActiveIndexFactory, catalog.MaxId);
    }

    /// <summary>At open: the index file if it holds a usable index, reconciled with the database; false otherwise.</summary>
    private bool TryLoadPersisted(string wanted)
    {
        if (!File.Exists(IndexFilePath) || !File.Exists(IndexDescriptionPath))
        {
            return false;
        }

        FaissIndex? loaded = null;
        try
        {
            IndexDescription? description = JsonSerializer.Deserialize<IndexDescription>(File.ReadAllText(IndexDescriptionPath));
            if (description is null)
            {
                return false;
            }

            FaissFactory stored = FaissFactory.Parse(description.Factory, Dimension);
            bool usable = configured is null ? stored.NeedsTraining : description.Factory == wanted;
            if (!usable)
            {
                return false;
            }

            loaded = FaissIndex.Read(IndexFilePath);
            if (loaded.Dimension != Dimension)
            {
                loaded.Dispose();
                return false;
            }

            // Deleted since it was written: remove. Added since: ids above MaxId (ids only grow).
            loaded.RemoveUnselected(catalog.AliveBitmap);
            var ids = new List<long>();
            var vectors = new List<float>();
            foreach (int p in catalog.AlivePositions())
            {
                if (catalog.IdAt(p) > description.MaxId)
                {
                    ids.Add(catalog.IdAt(p));
                    vectors.AddRange(arena.Row(p));
                }
            }

            if (ids.Count > 0)
            {
                loaded.Add(vectors.ToArray(), ids.ToArray());
            }

            if (loaded.Count != catalog.Count)
            {
                loaded.Dispose();
                return false;
            }

            if (description.Nprobe is { } probes && loaded.Nlist is { } nlist && probes >= 1 && probes <= nlist)
            {
                loaded.Nprobe = probes;
            }

            index = loaded;
            nprobe = loaded.Nprobe;
            calibratedRecall = description.Recall;
            builtFor = description.Items;
            calibratedFor = description.Items;
            ActiveIndexFactory = description.Factory;
            return true;
        }
        catch (Exception e) when (e is IOException or JsonException or FaissException or ArgumentException or InvalidDataException)
        {
            loaded?.Dispose();
            return false;
        }
    }
}
