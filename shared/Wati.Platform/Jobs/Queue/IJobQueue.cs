namespace Wati.Platform.Jobs.Queue;

/// <summary>
/// A work queue with Service Bus semantics (design section 9): one named queue per model, at-least-once
/// delivery through leases (peek-lock), a delivery count, and dead-lettering once a message has been
/// delivered more than the configured maximum. Embedded backend: SQLite; Azure: Service Bus.
/// </summary>
public interface IJobQueue
{
    /// <summary>
    /// Adds a message. Duplicate detection: while a message with the same <see cref="JobMessage.JobId"/>
    /// is pending (queued or leased) in that queue, a second enqueue is dropped and returns false.
    /// </summary>
    Task<bool> EnqueueAsync(string queue, JobMessage message, TimeSpan? delay = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Leases the oldest visible message for <paramref name="visibilityTimeout"/>, waiting up to
    /// <paramref name="maxWait"/> for one to arrive; null when none did. Increments the delivery count;
    /// a message whose count would exceed the maximum is dead-lettered instead of returned.
    /// </summary>
    Task<QueueLease?> ReceiveAsync(string queue, TimeSpan visibilityTimeout, TimeSpan maxWait, CancellationToken cancellationToken = default);

    /// <summary>Removes the message. False when the lease was lost (expired and taken by another consumer).</summary>
    Task<bool> CompleteAsync(QueueLease lease, CancellationToken cancellationToken = default);

    /// <summary>Releases the lease so the message is delivered again after <paramref name="delay"/>.</summary>
    Task<bool> AbandonAsync(QueueLease lease, TimeSpan? delay = null, CancellationToken cancellationToken = default);

    /// <summary>Moves the message to the queue's dead-letter list with a reason.</summary>
    Task<bool> DeadLetterAsync(QueueLease lease, string reason, CancellationToken cancellationToken = default);

    /// <summary>Extends a lease still held; false when it was lost.</summary>
    Task<bool> RenewAsync(QueueLease lease, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default);

    Task<QueueCounts> GetCountsAsync(string queue, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(string queue, int take = 100, CancellationToken cancellationToken = default);

    Task<bool> IsReadyAsync(CancellationToken cancellationToken = default);
}

/// <summary>The queue message contract: <c>{"job_id","model","attempt"}</c>. All else is read from the job record.</summary>
public sealed record JobMessage(string JobId, string Model, int Attempt = 1);

public sealed record QueueLease(string Queue, long SequenceNumber, string LeaseToken, JobMessage Message, int DeliveryCount);

public sealed record QueueCounts(int Active, int Leased, int DeadLettered);

public sealed record DeadLetter(long SequenceNumber, JobMessage Message, int DeliveryCount, string Reason, DateTimeOffset DeadLetteredAt);

public sealed class QueueOptions
{
    public const string Section = "Wati:Queue";

    /// <summary>Deliveries after which a message is dead-lettered.</summary>
    public int MaxDeliveries { get; set; } = 5;

    /// <summary>How long a received message stays invisible to others.</summary>
    public int VisibilityTimeoutSeconds { get; set; } = 120;

    /// <summary>Consumers per queue in the embedded host.</summary>
    public int Concurrency { get; set; } = 2;
}
