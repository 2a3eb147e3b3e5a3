namespace SanReid.Index.Tests;

/// <summary>Seeded synthetic embeddings and the brute-force reference every FAISS result is checked against.</summary>
internal static class TestVectors
{
    /// <summary>n x d row-major unit vectors, uniformly random on the sphere.</summary>
    public static float[] RandomUnit(int n, int d, int seed)
    {
        var random = new Random(seed);
        var data = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            Span<float> row = data.AsSpan(i * d, d);
            for (int j = 0; j < d; j++)
            {
                row[j] = Gaussian(random);
            }

            Normalise(row);
        }

        return data;
    }

    /// <summary>
    /// n x d unit vectors drawn around <paramref name="clusters"/> random centres (centre + Gaussian noise of
    /// per-coordinate sd <paramref name="noise"/>, then normalised): the shape of re-ID embeddings, where each
    /// identity forms a cluster. The same seed gives the same centres, so queries drawn with another
    /// <paramref name="sampleSeed"/> come from the same distribution as the gallery.
    /// </summary>
    public static float[] Clustered(int n, int d, int clusters, float noise, int seed, int sampleSeed)
    {
        float[] centres = RandomUnit(clusters, d, seed);
        var random = new Random(sampleSeed);
        var data = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            int c = random.Next(clusters);
            Span<float> row = data.AsSpan(i * d, d);
            for (int j = 0; j < d; j++)
            {
                row[j] = centres[c * d + j] + noise * Gaussian(random);
            }

            Normalise(row);
        }

        return data;
    }

    /// <summary>Exact top-k by inner product (descending), optionally only over ids passing <paramref name="keep"/>.</summary>
    public static (long Id, float Score)[] BruteForce(
        float[] data, long[] ids, int d, ReadOnlySpan<float> query, int k, Func<long, bool>? keep = null)
    {
        var scored = new List<(long Id, float Score)>(ids.Length);
        for (int i = 0; i < ids.Length; i++)
        {
            if (keep is not null && !keep(ids[i]))
            {
                continue;
            }

            float dot = 0;
            for (int j = 0; j < d; j++)
            {
                dot += data[i * d + j] * query[j];
            }

            scored.Add((ids[i], dot));
        }

        return [.. scored.OrderByDescending(s => s.Score).ThenBy(s => s.Id).Take(k)];
    }

    public static long[] Ids(int n, long first = 1000) => [.. Enumerable.Range(0, n).Select(i => first + 7L * i)];

    private static void Normalise(Span<float> row)
    {
        double sum = 0;
        foreach (float v in row)
        {
            sum += v * (double)v;
        }

        float inv = (float)(1 / Math.Sqrt(sum));
        for (int j = 0; j < row.Length; j++)
        {
            row[j] *= inv;
        }
    }

    private static float Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}

/// <summary>A fresh directory under the system temp folder, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateDirectory(
        System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sanreid-index-tests", Guid.NewGuid().ToString("N"))).FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder must not fail a test.
        }
    }
}
