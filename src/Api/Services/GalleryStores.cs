using SanReid.Api.Options;
using SanReid.Index;

namespace SanReid.Api.Services;

/// <summary>Opens the gallery the <c>SanReid:Gallery:Store</c> setting names; errors name the setting to fix.</summary>
public static class GalleryStores
{
    /// <summary>Opens <paramref name="options"/> in SQLite, or in PostgreSQL when <paramref name="connectionString"/> is given.</summary>
    /// <exception cref="GalleryUnavailableException">PostgreSQL cannot be reached (yet): start-up waits and tries again.</exception>
    /// <exception cref="InvalidOperationException">PostgreSQL refused the login or has no such database (names the
    /// setting, never the password).</exception>
    public static GalleryStore Open(string? connectionString, GalleryStoreOptions options)
    {
        if (connectionString is null)
            return GalleryStore.Open(options);
        try
        {
            return GalleryStore.Open(options with { PostgreSql = new PostgreSqlGalleryOptions { ConnectionString = connectionString } });
        }
        catch (ArgumentException e) when (e.InnerException is Npgsql.PostgresException)
        {
            throw new InvalidOperationException(
                $"{GalleryOptions.Section}:ConnectionString: {PostgreSqlGalleryOptions.Redact(e.Message, connectionString)} " +
                "Check the user, password and database it names.", e);
        }
    }
}
