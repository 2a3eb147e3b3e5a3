using System.Diagnostics;

namespace SanReid.Index;

/// <summary>
/// The store's two in-process locks and how long they were held. <see cref="Change"/> serialises every change (add,
/// delete, a bulk-delete chunk): it is held across the SQLite transaction, so changes commit in the order they update
/// memory. <see cref="Read"/> / <see cref="Write"/> guard the in-memory state (catalog, arena, the FAISS index in use):
/// searches read under it; a change holds it exclusively only to apply its committed rows to memory and the index
/// (microseconds to milliseconds), never across SQLite I/O, FAISS training or a whole-index fill. Order: Change before
/// Write, never the reverse. Background builds never take Change.
/// </summary>
/// <remarks>ReaderWriterLockSlim prefers a waiting writer over new readers, so a writer waits at most for the searches
/// already running; every read-lock hold in the store is one search or one chunk copy.</remarks>
internal sealed class GalleryLocks
{
    private readonly ReaderWriterLockSlim memory = new(LockRecursionPolicy.NoRecursion);
    private readonly SemaphoreSlim change = new(1, 1);
    private long maxWriteHoldTicks;
    private long maxWriteWaitTicks;
    private long maxChangeWaitTicks;
    private volatile bool closed;

    /// <summary>Longest exclusive hold of the memory lock since open (ms).</summary>
    public double MaxWriteHoldMs => Ms(Interlocked.Read(ref maxWriteHoldTicks));

    /// <summary>Longest wait for the exclusive memory lock since open (ms).</summary>
    public double MaxWriteWaitMs => Ms(Interlocked.Read(ref maxWriteWaitTicks));

    /// <summary>Longest wait of a change for the changes before it (ms): a slow SQLite commit ahead of it.</summary>
    public double MaxChangeWaitMs => Ms(Interlocked.Read(ref maxChangeWaitTicks));

    /// <summary>Set (under the write lock) when the store is disposed; every later Read/Write/Change throws.</summary>
    public bool Closed
    {
        get => closed;
        set => closed = value;
    }

    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public Scope Read()
    {
        ObjectDisposedException.ThrowIf(closed, typeof(GalleryStore));
        memory.EnterReadLock();
        if (closed)
        {
            memory.ExitReadLock();
            throw new ObjectDisposedException(nameof(GalleryStore));
        }

        return new Scope(this, Kind.Read, 0);
    }

    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public Scope Write() => EnterWrite(checkClosed: true);

    /// <summary>The write lock even after the store is closed (Dispose's own last steps).</summary>
    public Scope WriteForClose() => EnterWrite(checkClosed: false);

    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public Scope Change()
    {
        ObjectDisposedException.ThrowIf(closed, typeof(GalleryStore));
        long asked = Stopwatch.GetTimestamp();
        change.Wait();
        Max(ref maxChangeWaitTicks, Stopwatch.GetTimestamp() - asked);
        if (closed)
        {
            change.Release();
            throw new ObjectDisposedException(nameof(GalleryStore));
        }

        return new Scope(this, Kind.Change, 0);
    }

    private Scope EnterWrite(bool checkClosed)
    {
        ObjectDisposedException.ThrowIf(checkClosed && closed, typeof(GalleryStore));
        long asked = Stopwatch.GetTimestamp();
        memory.EnterWriteLock();
        if (checkClosed && closed)
        {
            memory.ExitWriteLock();
            throw new ObjectDisposedException(nameof(GalleryStore));
        }

        long entered = Stopwatch.GetTimestamp();
        Max(ref maxWriteWaitTicks, entered - asked);
        return new Scope(this, Kind.Write, entered);
    }

    private static void Max(ref long target, long value)
    {
        long seen = Interlocked.Read(ref target);
        while (value > seen)
        {
            long before = Interlocked.CompareExchange(ref target, value, seen);
            if (before == seen)
            {
                return;
            }

            seen = before;
        }
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    internal enum Kind
    {
        Read,
        Write,
        Change,
    }

    /// <summary>Releases what it holds when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly GalleryLocks owner;
        private readonly Kind kind;
        private readonly long entered;

        internal Scope(GalleryLocks owner, Kind kind, long entered)
        {
            this.owner = owner;
            this.kind = kind;
            this.entered = entered;
        }

        public void Dispose()
        {
            switch (kind)
            {
                case Kind.Read:
                    owner.memory.ExitReadLock();
                    break;
                case Kind.Write:
                    Max(ref owner.maxWriteHoldTicks, Stopwatch.GetTimestamp() - entered);
                    owner.memory.ExitWriteLock();
                    break;
                default:
                    owner.change.Release();
                    break;
            }
        }
    }
}
