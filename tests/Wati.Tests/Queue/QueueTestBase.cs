using Microsoft.Extensions.Time.Testing;
using Wati.Platform.Jobs.Queue;

namespace Wati.Tests.Queue;

/// <summary>A queue file in a fresh temp folder, a frozen clock, and cleanup of both on dispose.</summary>
public abstract class QueueTestBase : IDisposable
{
    protected static readonly TimeSpan Visibility = TimeSpan.FromSeconds(30);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "wati-queue-" + Guid.NewGuid().ToString("N"));
    private readonly List<SqliteJobQueue> _queues = [];

    protected QueueTestBase()
    {
        Directory.CreateDirectory(_directory);
        Queue = NewQueue();
    }

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    protected QueueOptions Options { get; } = new() { MaxDeliveries = 3 };

    protected SqliteJobQueue Queue { get; }

    protected string DatabasePath => Path.Combine(_directory, "queue.db");

    /// <summary>Another instance on the same file, as a second process would open it.</summary>
    protected SqliteJobQueue NewQueue()
    {
        var queue = new SqliteJobQueue(DatabasePath, Options, Time);
        _queues.Add(queue);
        return queue;
    }

    protected static QueueMessage Job(string id) => new(id, "gfpgan");

    public void Dispose()
    {
        foreach (var queue in _queues) queue.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        GC.SuppressFinalize(this);
    }
}
