using System.Text.Json;

namespace SanReid.Index;

/// <summary>
/// The index cache beside a gallery database: "&lt;database&gt;.faiss" (FAISS's own format) and "&lt;database&gt;.faiss.json"
/// (factory, nprobe, recall, the largest id it holds and its vector count). Only a cache: SQLite stays the truth, and a
/// file that is missing, damaged, of another factory or dimension, or inconsistent with the database is ignored (the
/// store builds again in the background while it searches exactly).
/// </summary>
internal sealed class IndexFile(string databasePath)
{
    public string IndexPath => databasePath + ".faiss";

    public string DescriptionPath => databasePath + ".faiss.json";

    /// <summary>What the description file records.</summary>
    public sealed record Description(string Factory, int? Nprobe, double? Recall, long MaxId, long Items);

    /// <summary>Writes the index (to a temporary file, then renamed) and its description. Failures only lose the cache.</summary>
    /// <returns>True when both files were written.</returns>
    public bool Write(FaissIndex index, string factory, int? nprobe, double? recall, long maxId)
    {
        try
        {
            string temporary = IndexPath + ".tmp";
            index.Write(temporary);
            File.Move(temporary, IndexPath, overwrite: true);
            File.WriteAllText(DescriptionPath, JsonSerializer.Serialize(new Description(factory, nprobe, recall, maxId, index.Count)));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FaissException)
        {
            GalleryFileLock.TryDelete(DescriptionPath);
            return false;
        }
    }

    /// <summary>
    /// Loads the index if the files hold a usable one (<paramref name="usable"/> decides on the factory) and makes it
    /// agree with the live items of <paramref name="catalog"/>: the cheap check first (no live id above the file's
    /// largest and the same count: nothing was added since, so nothing was deleted either); otherwise ids not live are
    /// removed (one pass over the index's id lists) and live ids above the file's largest are added from the arena.
    /// Null when there is no usable file. Runs at open, before the store is shared.
    /// </summary>
    public (FaissIndex Index, Description Description, long Reconciled)? TryLoad(
        int dimension, Func<string, bool> usable, GalleryCatalog catalog, VectorArena arena)
    {
        if (!File.Exists(IndexPath) || !File.Exists(DescriptionPath))
        {
            return null;
        }

        FaissIndex? loaded = null;
        try
        {
            Description? description = JsonSerializer.Deserialize<Description>(File.ReadAllText(DescriptionPath));
            if (description is null || !usable(description.Factory))
            {
                return null;
            }

            FaissFactory.Parse(description.Factory, dimension);
            loaded = FaissIndex.Read(IndexPath);
            if (loaded.Dimension != dimension || loaded.Count != description.Items)
            {
                loaded.Dispose();
                return null;
            }

            long reconciled = 0;
            if (catalog.MaxId > description.MaxId || catalog.Count != loaded.Count)
            {
                if (!loaded.SupportsRemove)
                {
                    // HNSW cannot remove what was deleted since: build again instead.
                    loaded.Dispose();
                    return null;
                }

                reconciled += loaded.RemoveUnselected(catalog.AliveBitmap);
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
                    reconciled += ids.Count;
                }

                if (loaded.Count != catalog.Count)
                {
                    loaded.Dispose();
                    return null;
                }
            }

            if (description.Nprobe is { } probes && loaded.Nlist is { } nlist && probes >= 1 && probes <= nlist)
            {
                loaded.Nprobe = probes;
            }

            return (loaded, description, reconciled);
        }
        catch (Exception e) when (e is IOException or JsonException or FaissException or ArgumentException or InvalidDataException or NotSupportedException)
        {
            loaded?.Dispose();
            return null;
        }
    }
}
