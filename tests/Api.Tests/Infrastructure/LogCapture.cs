using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SanReid.Api.Tests.Infrastructure;

/// <summary>Keeps every log line of a test server with the values of its scopes (e.g. RequestId).</summary>
public sealed class LogCapture : ILoggerProvider
{
    public sealed record Line(string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, string> Scope);

    private readonly ConcurrentQueue<Line> _lines = new();
    private readonly AsyncLocal<ImmutableScope?> _scope = new();

    public IReadOnlyCollection<Line> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed record ImmutableScope(ImmutableScope? Parent, object State);

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable BeginScope<TState>(TState state) where TState : notnull
        {
            var parent = owner._scope.Value;
            owner._scope.Value = new ImmutableScope(parent, state);
            return new Pop(() => owner._scope.Value = parent);
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = new Dictionary<string, string>();
            for (var s = owner._scope.Value; s is not null; s = s.Parent)
            {
                if (s.State is IEnumerable<KeyValuePair<string, object>> pairs)
                {
                    foreach (var (k, v) in pairs)
                        values.TryAdd(k, v?.ToString() ?? "");
                }
            }
            owner._lines.Enqueue(new Line(category, logLevel, formatter(state, exception) + (exception is null ? "" : " " + exception), values));
        }
    }

    private sealed class Pop(Action pop) : IDisposable
    {
        public void Dispose() => pop();
    }
}
