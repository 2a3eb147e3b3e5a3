using System.Text.RegularExpressions;
using Npgsql;

namespace SanReid.Index;

/// <summary>
/// A gallery kept in PostgreSQL instead of a SQLite file (<see cref="GalleryStoreOptions.PostgreSql"/>): any number of
/// stores (Api replicas) open the same database and keep their in-memory indexes in step through its change feed.
/// </summary>
public sealed record PostgreSqlGalleryOptions
{
    /// <summary>Npgsql connection string (e.g. <c>Host=db;Port=5432;Database=sanreid;Username=sanreid;Password=...</c>).
    /// <c>Search Path</c> picks the schema holding the tables (created when missing); without one, <c>public</c>.
    /// Without a <c>Timeout</c>, connection attempts give up after 5 s (Npgsql's default is 15 s).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>How often a replica asks for changes when no notification arrives (LISTEN/NOTIFY normally wakes it at
    /// once; the poll covers a lost notification). Default 500 ms.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Seconds a client is told to wait (Retry-After) when the database cannot be reached. Default 2.</summary>
    public int RetryAfterSeconds { get; init; } = 2;

    /// <summary>Checks that <see cref="ConnectionString"/> parses and names a host (no connection is made).</summary>
    /// <exception cref="ArgumentException">It does not; the message never repeats a password.</exception>
    public void Validate() => Parse();

    /// <summary>Parses <see cref="ConnectionString"/>; the error never repeats a password.</summary>
    /// <exception cref="ArgumentException">The string does not parse, or names no host.</exception>
    internal NpgsqlConnectionStringBuilder Parse()
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(ConnectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            throw new ArgumentException($"The PostgreSQL connection string does not parse: {Redact(e.Message, ConnectionString)}");
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new ArgumentException("The PostgreSQL connection string names no Host (a host name, an address, or a socket folder).");
        }

        if (!Regex.IsMatch(ConnectionString, @"(^|;)\s*(timeout)\s*=", RegexOptions.IgnoreCase))
        {
            builder.Timeout = 5;
        }

        return builder;
    }

    /// <summary>Removes every password-like value of <paramref name="connectionString"/> from <paramref name="message"/>.</summary>
    public static string Redact(string message, string connectionString)
    {
        foreach (Match m in Regex.Matches(connectionString, @"(?:password|pwd)\s*=\s*([^;]*)", RegexOptions.IgnoreCase))
        {
            string secret = m.Groups[1].Value.Trim().Trim('\'', '"');
            if (secret.Length > 0)
            {
                message = message.Replace(secret, "***", StringComparison.Ordinal);
            }
        }

        return message;
    }
}

/// <summary>
/// The gallery database cannot be reached (connection refused, lost, timed out; the server shutting down or out of
/// connections). Nothing was changed by the call that threw it; retry after <see cref="RetryAfterSeconds"/>.
/// Searches go on from the in-memory index meanwhile.
/// </summary>
public sealed class GalleryUnavailableException(string message, int retryAfterSeconds, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>Seconds to wait before retrying.</summary>
    public int RetryAfterSeconds { get; } = retryAfterSeconds;
}

/// <summary>Where a replica's in-memory index stands against the shared store's change feed.</summary>
/// <param name="Connected">The replica's feed connection is up (it hears notifications and can catch up).</param>
/// <param name="AppliedSequence">Last change sequence applied to memory (every change up to it is applied).</param>
/// <param name="LastCaughtUp">When the replica last confirmed it had every change (UTC), or null before the first time.</param>
/// <param name="StaleSeconds">Seconds since then: how old the index may be (0 while connected and caught up).</param>
/// <param name="LastError">Why the feed connection was lost last (type and message), or null.</param>
public sealed record GalleryReplicationStatus(
    bool Connected, long AppliedSequence, DateTimeOffset? LastCaughtUp, double StaleSeconds, string? LastError);
