using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Wati.Platform.Jobs.Queue;

/// <summary>
/// The embedded job queue (<see cref="IJobQueueProducer"/> and <see cref="IJobQueueConsumer"/>): one SQLite file in WAL mode shared by every process that opens it.
/// Every change runs in a <c>BEGIN IMMEDIATE</c> transaction, which takes SQLite's single write lock
/// before reading, so two receivers (threads or processes) can never lease the same message.
/// Message times come from the injected <see cref="TimeProvider"/>; only the long-poll wait uses real time,
/// so tests that freeze time still see receives return.
/// </summary>
public sealed partial class SqliteJobQueue : IJobQueueProducer, IJobQueueConsumer, IDisposable
{
    public const string MaxDeliveryCountExceeded = "MaxDeliveryCountExceeded";

    // Another process may enqueue without being able to signal us; this bounds how late we notice.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    private readonly string _connectionString;
    private readonly QueueOptions _options;
    private readonly TimeProvider _time;
    private readonly QueueSignals _signals = new();

    // Serialises writers of this process without blocking threads; SQLite's lock still guards other processes.
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private volatile bool _disposed;

    public SqliteJobQueue(string databasePath, QueueOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        if (options.MaxDeliveries < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxDeliveries must be at least 1");
        _options = options;
        _time = time;

        _connectionString = Data.Sqlite.SqliteNative.ConnectionString(databasePath);

        using var connection = Open();
        SqliteQueueSchema.Create(connection);
    }

    public async Task<bool> EnqueueAsync(string queue, QueueMessage message, TimeSpan? delay = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentException.ThrowIfNullOrEmpty(message.Id);
        ArgumentException.ThrowIfNullOrEmpty(message.Kind);
        var delayMs = Milliseconds(delay ?? TimeSpan.Zero, nameof(delay));

        var added = await WriteAsync((connection, tx) =>
        {
            var now = NowMs();
            // A pending message with the same job id hits the partial unique index and is skipped.
            using var insert = Command(connection, tx,
                """
                INSERT INTO messages (queue, job_id, model, attempt, enqueued_at, visible_at, delivery_count, state)
                VALUES ($queue, $job, $model, $attempt, $now, $visible, 0, 'active')
                ON CONFLICT DO NOTHING
                """,
                ("$queue", queue), ("$job", message.Id), ("$model", message.Kind),
                ("$attempt", message.Attempt), ("$now", now), ("$visible", now + delayMs));
            return insert.ExecuteNonQuery() == 1;
        }, cancellationToken).ConfigureAwait(false);

        if (added && delayMs == 0) _signals.Pulse(queue);
        return added;
    }

    public async Task<QueueLease?> ReceiveAsync(string queue, TimeSpan visibilityTimeout, TimeSpan maxWait, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        var visibilityMs = Milliseconds(visibilityTimeout, nameof(visibilityTimeout));
        if (visibilityMs == 0) throw new ArgumentOutOfRangeException(nameof(visibilityTimeout), "must be positive");
        if (maxWait < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(maxWait));

        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var wake = _signals.Next(queue);
            var lease = await WriteAsync((connection, tx) => TryLease(connection, tx, queue, visibilityMs), cancellationToken)
                .ConfigureAwait(false);
            if (lease is not null) return lease;

            var remaining = maxWait - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero) return null;
            await Task.WhenAny(wake, Task.Delay(remaining < PollInterval ? remaining : PollInterval, cancellationToken))
                .ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    // A lease whose time ran out still counts while nobody else has taken the message: completing
    // finished work is better than running it twice.
    public Task<bool> CompleteAsync(QueueLease lease, CancellationToken cancellationToken = default) =>
        UpdateLeased(lease, "DELETE FROM messages", cancellationToken);

    public async Task<bool> AbandonAsync(QueueLease lease, TimeSpan? delay = null, CancellationToken cancellationToken = default)
    {
        var delayMs = Milliseconds(delay ?? TimeSpan.Zero, nameof(delay));
        var released = await UpdateLeased(lease, "UPDATE messages SET lease_token = NULL, visible_at = $now + $delay",
            cancellationToken, ("$delay", delayMs)).ConfigureAwait(false);
        if (released && delayMs == 0) _signals.Pulse(lease.Queue);
        return released;
    }

    public async Task<bool> RescheduleAsync(QueueLease lease, TimeSpan delay, CancellationToken cancellationToken = default)
    {
        var delayMs = Milliseconds(delay, nameof(delay));
        // One statement: the message cannot be lost between removing the old and adding the new.
        var moved = await UpdateLeased(lease,
            "UPDATE messages SET lease_token = NULL, delivery_count = 0, attempt = attempt + 1, visible_at = $now + $delay",
            cancellationToken, ("$delay", delayMs)).ConfigureAwait(false);
        if (moved && delayMs == 0) _signals.Pulse(lease.Queue);
        return moved;
    }

    public Task<bool> DeadLetterAsync(QueueLease lease, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return UpdateLeased(lease,
            "UPDATE messages SET state = 'dead', lease_token = NULL, dead_reason = $reason, dead_at = $now",
            cancellationToken, ("$reason", reason));
    }

    public Task<bool> RenewAsync(QueueLease lease, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default)
    {
        var visibilityMs = Milliseconds(visibilityTimeout, nameof(visibilityTimeout));
        if (visibilityMs == 0) throw new ArgumentOutOfRangeException(nameof(visibilityTimeout), "must be positive");
        return UpdateLeased(lease, "UPDATE messages SET visible_at = $now + $visibility",
            cancellationToken, ("$visibility", visibilityMs));
    }

    public Task<QueueCounts> GetCountsAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = Open();
        using var count = Command(connection, null,
            """
            SELECT
              COALESCE(SUM(state = 'active' AND (lease_token IS NULL OR visible_at <= $now)), 0),
              COALESCE(SUM(state = 'active' AND lease_token IS NOT NULL AND visible_at > $now), 0),
              COALESCE(SUM(state = 'dead'), 0)
            FROM messages WHERE queue = $queue
            """,
            ("$queue", queue), ("$now", NowMs()));
        using var reader = count.ExecuteReader();
        reader.Read();
        return Task.FromResult(new QueueCounts(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2)));
    }

    /// <summary>Dead letters of <paramref name="queue"/>, handled or not (a row is always a job message here), oldest first; the id is the row's sequence number.</summary>
    public async Task<IReadOnlyList<DeadLetterEntry>> GetDeadLettersAsync(string queue, int take = 100, CancellationToken cancellationToken = default) =>
        (await SelectDeadLetters(queue, take, unhandledOnly: false, cancellationToken).ConfigureAwait(false))
        .Select(d => new DeadLetterEntry(d.SequenceNumber.ToString(System.Globalization.CultureInfo.InvariantCulture), d.Queue, d.Message, null,
            d.DeliveryCount, d.Reason, d.DeadLetteredAt))
        .ToList();

    /// <summary>Removes a dead letter (handled or not) by its sequence number; live messages are never removed here.</summary>
    public async Task<bool> DeleteDeadLetterAsync(string id, CancellationToken cancellationToken = default)
    {
        if (!long.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seq)) return false;
        return await WriteAsync((connection, tx) =>
        {
            using var delete = Command(connection, tx, "DELETE FROM messages WHERE seq = $seq AND state = 'dead'", ("$seq", seq));
            return delete.ExecuteNonQuery() == 1;
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<DeadLetter>> ReceiveDeadLettersAsync(string queue, int take = 16, CancellationToken cancellationToken = default) =>
        SelectDeadLetters(queue, take, unhandledOnly: true, cancellationToken);

    public async Task AcknowledgeDeadLetterAsync(DeadLetter deadLetter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deadLetter);
        await WriteAsync((connection, tx) =>
        {
            using var update = Command(connection, tx,
                "UPDATE messages SET handled_at = $now WHERE seq = $seq AND state = 'dead' AND handled_at IS NULL",
                ("$now", NowMs()), ("$seq", deadLetter.SequenceNumber));
            return update.ExecuteNonQuery();
        }, cancellationToken).ConfigureAwait(false);
    }

    private Task<IReadOnlyList<DeadLetter>> SelectDeadLetters(string queue, int take, bool unhandledOnly, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(take);
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = Open();
        using var select = Command(connection, null,
            $"""
            SELECT seq, job_id, model, attempt, delivery_count, dead_reason, dead_at
            FROM messages WHERE queue = $queue AND state = 'dead' {(unhandledOnly ? "AND handled_at IS NULL" : "")}
            ORDER BY seq LIMIT $take
            """,
            ("$queue", queue), ("$take", take));
        using var reader = select.ExecuteReader();
        var letters = new List<DeadLetter>();
        while (reader.Read())
        {
            letters.Add(new DeadLetter(
                queue,
                reader.GetInt64(0),
                new QueueMessage(reader.GetString(1), reader.GetString(2), reader.GetInt32(3)),
                reader.GetInt32(4),
                reader.GetString(5),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6))));
        }
        return Task.FromResult<IReadOnlyList<DeadLetter>>(letters);
    }

    public Task<bool> IsReadyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            using var connection = Open();
            using var probe = Command(connection, null, "SELECT COUNT(*) FROM messages WHERE seq = 0");
            probe.ExecuteScalar();
            return Task.FromResult(true);
        }
        catch (Exception ex) when (ex is SqliteException or IOException or ObjectDisposedException)
        {
            return Task.FromResult(false);
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        // Pooled connections would otherwise keep the file open after the owner is gone.
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }
}
