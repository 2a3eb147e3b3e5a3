using Npgsql;

namespace SanReid.Index;

/// <summary>
/// Keeps one replica's in-memory gallery in step with a shared PostgreSQL gallery: LISTENs on the gallery's channel
/// on a connection of its own, and on every notification (or every <see cref="PostgreSqlGalleryOptions.PollInterval"/>)
/// reads the changes after the last sequence it applied and applies them in order
/// (<see cref="GalleryStore.ApplyChanges"/>). A lost connection is retried (100 ms, doubling to 2 s); the first thing a
/// new connection does is catch up from the last applied sequence, so nothing is missed. Applying is idempotent
/// (an add of an item already in memory, or whose row is gone, and a delete of an absent item change nothing), so a
/// replica's own writes, which it applied when it made them, are not applied twice.
/// </summary>
internal sealed class GalleryChangeFeed : IDisposable
{
    /// <summary>Changes read per query while catching up.</summary>
    private const int Batch = 2_000;

    private readonly GalleryStore store;
    private readonly PostgreSqlGalleryDatabase database;
    private readonly TimeSpan pollInterval;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task loop;
    private long applied;
    private long lastCaughtUpTicks;
    private volatile bool connected;
    private volatile string? lastError;
    private int notified;

    private GalleryChangeFeed(GalleryStore store, PostgreSqlGalleryDatabase database, long appliedSequence, TimeSpan pollInterval)
    {
        this.store = store;
        this.database = database;
        this.pollInterval = pollInterval > TimeSpan.Zero ? pollInterval : TimeSpan.FromMilliseconds(500);
        applied = appliedSequence;
        lastCaughtUpTicks = DateTimeOffset.UtcNow.UtcTicks;
        loop = Task.Run(RunAsync);
    }

    /// <summary>Starts following the feed from <paramref name="appliedSequence"/> (the sequence the loaded rows reflect).</summary>
    public static GalleryChangeFeed Start(GalleryStore store, PostgreSqlGalleryDatabase database, long appliedSequence, TimeSpan pollInterval) =>
        new(store, database, appliedSequence, pollInterval);

    /// <summary>Where the replica stands (see <see cref="GalleryReplicationStatus"/>).</summary>
    public GalleryReplicationStatus Status
    {
        get
        {
            var caughtUp = new DateTimeOffset(Interlocked.Read(ref lastCaughtUpTicks), TimeSpan.Zero);
            double stale = connected ? 0 : Math.Max(0, (DateTimeOffset.UtcNow - caughtUp).TotalSeconds);
            return new GalleryReplicationStatus(connected, Interlocked.Read(ref applied), caughtUp, stale, lastError);
        }
    }

    /// <summary>Stops the loop and waits for it (at most 10 s).</summary>
    public void Dispose()
    {
        stopping.Cancel();
        try
        {
            loop.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
        }

        stopping.Dispose();
    }

    private async Task RunAsync()
    {
        CancellationToken token = stopping.Token;
        TimeSpan backoff = TimeSpan.FromMilliseconds(100);
        while (!token.IsCancellationRequested)
        {
            try
            {
                await using NpgsqlConnection connection = await database.DataSource.OpenConnectionAsync(token).ConfigureAwait(false);
                connection.Notification += (_, _) => Interlocked.Exchange(ref notified, 1);
                await using (var listen = new NpgsqlCommand($"LISTEN \"{database.Channel.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection))
                {
                    await listen.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                }

                database.MarkReachable();
                backoff = TimeSpan.FromMilliseconds(100);
                while (true)
                {
                    // A notification that arrives while catching up may be for a commit the query did not see yet:
                    // go round again instead of sleeping on it.
                    Interlocked.Exchange(ref notified, 0);
                    CatchUp(connection);
                    connected = true;
                    Interlocked.Exchange(ref lastCaughtUpTicks, DateTimeOffset.UtcNow.UtcTicks);
                    if (Interlocked.CompareExchange(ref notified, 0, 0) == 0)
                    {
                        await connection.WaitAsync(pollInterval, token).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception) when (token.IsCancellationRequested || store.IsDisposed)
            {
                return;
            }
            catch (Exception e)
            {
                // Whatever broke (Npgsql reports a connection cut under the wait as IOException, NpgsqlException or
                // ObjectDisposedException of its stream): reconnect and catch up.
                connected = false;
                lastError = PostgreSqlGalleryDatabase.Describe(e);
            }

            try
            {
                await Task.Delay(backoff, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(2).Ticks, backoff.Ticks * 2));
        }
    }

    /// <summary>Reads and applies every change after <see cref="applied"/>, in order, in batches.</summary>
    private void CatchUp(NpgsqlConnection connection)
    {
        while (true)
        {
            List<GalleryChange> changes = PostgreSqlGalleryDatabase.ReadChanges(connection, Interlocked.Read(ref applied), Batch);
            if (changes.Count == 0)
            {
                return;
            }

            // Rows are read and applied under the store's change lock: a local delete committed after the rows were
            // read would otherwise be undone by its own add change (the row read before it still had the item).
            using (store.HoldChanges())
            {
                long[] added = [.. changes.Where(c => c.Added && !store.Contains(c.ItemId)).Select(c => c.ItemId).Distinct()];
                Dictionary<long, (GalleryItem Item, float[] Embedding)> rows = database.ReadItems(connection, added);
                store.ApplyChanges(changes, rows, database);
            }

            Interlocked.Exchange(ref applied, changes[^1].Seq);
            if (changes.Count < Batch)
            {
                return;
            }
        }
    }
}
