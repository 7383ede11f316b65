using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>A Serilog sink the server picks up from DI (ReadFrom.Services), so tests can read structured log events.</summary>
public sealed class CollectingSink : ILogEventSink
{
    public ConcurrentQueue<LogEvent> Events { get; } = new();

    public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);
}
