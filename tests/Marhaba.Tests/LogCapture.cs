using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Marhaba.Tests;

/// <summary>What the server logs, kept for the scenarios that look at it (bad input must not fill the error log).</summary>
public sealed class LogCapture : ILoggerProvider
{
    public static readonly string ErrorsFile = Path.Combine(AppContext.BaseDirectory, "server-errors.log");

    public ConcurrentQueue<(LogLevel Level, string Category, string Message, bool WithException)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            capture.Entries.Enqueue((logLevel, category, formatter(state, exception), exception is not null));
            // Errors with their stack traces, kept beside the test binaries: what a failed run in CI had to say.
            if (logLevel >= LogLevel.Error && exception is not null)
                lock (capture) File.AppendAllText(ErrorsFile, $"{DateTimeOffset.UtcNow:O} {category}: {formatter(state, exception)}{Environment.NewLine}{exception}{Environment.NewLine}{Environment.NewLine}");
        }
    }
}
