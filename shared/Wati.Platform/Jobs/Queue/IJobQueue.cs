namespace Wati.Platform.Jobs.Queue;

/// <summary>
/// The sending side of the job queues (design section 9), used by every host: one named queue per
/// model, at-least-once delivery. Backends: SQLite (embedded) and Azure Storage Queues.
/// </summary>
public interface IJobQueueProducer
{
    /// <summary>
    /// Adds a message, visible after <paramref name="delay"/> (none: at once). False when the backend
    /// dropped it as a duplicate of a message for the same job still pending in that queue (the SQLite
    /// backend detects duplicates; Storage Queues do not, and processing is idempotent by the job record).
    /// </summary>
    Task<bool> EnqueueAsync(string queue, QueueMessage message, TimeSpan? delay = null, CancellationToken cancellationToken = default);

    /// <summary>Readiness: true when messages can be sent.</summary>
    Task<bool> IsReadyAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// The receiving side for hosts that poll (<c>server/</c>): leases with a visibility timeout, a delivery
/// count, and dead-lettering once a message was delivered more than <see cref="QueueOptions.MaxDeliveries"/>
/// times. Functions hosts do not use it: their queue trigger receives, and the host dead-letters to
/// <c>{queue}-poison</c>.
/// </summary>
public interface IJobQueueConsumer
{
    /// <summary>
    /// Leases the oldest visible message for <paramref name="visibilityTimeout"/>, waiting up to
    /// <paramref name="maxWait"/> for one; null when none came. Increments the delivery count; a message
    /// whose count would exceed the maximum is dead-lettered instead (see <see cref="ReceiveDeadLettersAsync"/>).
    /// </summary>
    Task<QueueLease?> ReceiveAsync(string queue, TimeSpan visibilityTimeout, TimeSpan maxWait, CancellationToken cancellationToken = default);

    /// <summary>Removes the message. False when the lease was lost (expired and taken by another consumer).</summary>
    Task<bool> CompleteAsync(QueueLease lease, CancellationToken cancellationToken = default);

    /// <summary>Releases the lease so the message is delivered again after <paramref name="delay"/> (its delivery count kept).</summary>
    Task<bool> AbandonAsync(QueueLease lease, TimeSpan? delay = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the leased message by a fresh one (delivery count 0, <see cref="QueueMessage.Attempt"/> + 1)
    /// that becomes visible after <paramref name="delay"/>: "try again later" without spending deliveries.
    /// False when the lease was lost.
    /// </summary>
    Task<bool> RescheduleAsync(QueueLease lease, TimeSpan delay, CancellationToken cancellationToken = default);

    /// <summary>Extends a lease still held to <paramref name="visibilityTimeout"/> from now; false when it was lost.</summary>
    Task<bool> RenewAsync(QueueLease lease, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default);

    /// <summary>Moves the message to the queue's dead letters with a reason.</summary>
    Task<bool> DeadLetterAsync(QueueLease lease, string reason, CancellationToken cancellationToken = default);

    /// <summary>
    /// Dead letters not yet handled (oldest first, at most <paramref name="take"/>): each must fail and
    /// refund its job, then be passed to <see cref="AcknowledgeDeadLetterAsync"/>. A crash in between
    /// hands it out again; handling is idempotent by the job record.
    /// </summary>
    Task<IReadOnlyList<DeadLetter>> ReceiveDeadLettersAsync(string queue, int take = 16, CancellationToken cancellationToken = default);

    /// <summary>Marks a dead letter handled; it stays listed by <see cref="GetDeadLettersAsync"/>.</summary>
    Task AcknowledgeDeadLetterAsync(DeadLetter deadLetter, CancellationToken cancellationToken = default);

    /// <summary>Counts of pending, leased and dead messages.</summary>
    Task<QueueCounts> GetCountsAsync(string queue, CancellationToken cancellationToken = default);

    /// <summary>
    /// Dead letters of <paramref name="queue"/> for the admin routes, oldest first: handled or not, and
    /// also messages that are not job messages at all (an undecodable or foreign body), which no hook can
    /// settle and which stay until an admin removes them (<see cref="DeleteDeadLetterAsync"/>).
    /// </summary>
    Task<IReadOnlyList<DeadLetterEntry>> GetDeadLettersAsync(string queue, int take = 100, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes the dead letter <paramref name="id"/> (a <see cref="DeadLetterEntry.Id"/>) for good: the admin's
    /// way to clear one that no hook settles. False when there is none (removed already, or not a dead letter's id).
    /// </summary>
    Task<bool> DeleteDeadLetterAsync(string id, CancellationToken cancellationToken = default);
}

/// <summary>
/// One message on any platform queue: which record it is about (<paramref name="Id"/>: a job, a batch or a
/// webhook event id), what kind of message it is (<paramref name="Kind"/>: the model for a job, <c>batch</c>,
/// <c>webhook</c>), and how many times it was sent (<paramref name="Attempt"/>, from 1). All else is read from
/// the record the id names. The wire format stays design section 9's <c>{"job_id","model","attempt"}</c>
/// (<see cref="StorageJobQueue.TryParse"/>, the SQLite queue's columns), so messages written before this
/// type was renamed from <c>JobMessage</c> are read unchanged.
/// </summary>
public sealed record QueueMessage(string Id, string Kind, int Attempt = 1);

/// <summary>A received message and the lease on it; <paramref name="DeliveryCount"/> counts from 1.</summary>
public sealed record QueueLease(string Queue, long SequenceNumber, string LeaseToken, QueueMessage Message, int DeliveryCount);

/// <summary>Messages waiting (<paramref name="Active"/>), leased, and dead-lettered in one queue.</summary>
public sealed record QueueCounts(int Active, int Leased, int DeadLettered);

/// <summary>A dead-lettered message, why (<paramref name="Reason"/>), and when.</summary>
public sealed record DeadLetter(string Queue, long SequenceNumber, QueueMessage Message, int DeliveryCount, string Reason,
    DateTimeOffset DeadLetteredAt)
{
    /// <summary>What the backend needs to acknowledge it (Storage Queues: message id and pop receipt); null for SQLite.</summary>
    public string? Token { get; init; }
}

/// <summary>
/// A dead letter as the admin routes list it. <paramref name="Message"/> is null when the body is not a job
/// message; <paramref name="Body"/> then holds its text (cut to <see cref="MaxBodyChars"/>), so an admin can
/// see what it was. <paramref name="Id"/> is opaque, for <see cref="IJobQueueConsumer.DeleteDeadLetterAsync"/>.
/// </summary>
public sealed record DeadLetterEntry(string Id, string Queue, QueueMessage? Message, string? Body, int DeliveryCount, string Reason,
    DateTimeOffset DeadLetteredAt)
{
    /// <summary>The most characters of a foreign body that are listed (a queue message holds at most 64 KiB).</summary>
    public const int MaxBodyChars = 1024;

    /// <summary><paramref name="body"/> cut to <see cref="MaxBodyChars"/>.</summary>
    public static string Bounded(string body) => body.Length <= MaxBodyChars ? body : body[..MaxBodyChars] + "…";
}

/// <summary>Queue settings (<c>Wati:Queue</c>).</summary>
public sealed class QueueOptions
{
    public const string Section = "Wati:Queue";

    /// <summary>Deliveries after which a message is dead-lettered (its job then fails and is refunded).</summary>
    public int MaxDeliveries { get; set; } = 5;

    /// <summary>How long a received message stays invisible to others, in seconds; renewed while its job runs.</summary>
    public int VisibilityTimeoutSeconds { get; set; } = 120;

    /// <summary>Consumers per queue in the polling host.</summary>
    public int Concurrency { get; set; } = 2;

    /// <summary><c>Wati:Queue:Storage</c>: the Azure Storage account of the <c>storage</c> provider.</summary>
    public StorageQueueSettings Storage { get; set; } = new();
}

/// <summary>Where the Storage Queues live: a connection string (Azurite's included), or an endpoint with managed identity.</summary>
public sealed class StorageQueueSettings
{
    /// <summary>A storage connection string, e.g. <c>UseDevelopmentStorage=true</c> for Azurite.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The queue endpoint (<c>https://{account}.queue.core.windows.net</c>), used with <c>DefaultAzureCredential</c>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>What is missing or wrong for the <c>storage</c> provider, each naming its key.</summary>
    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString) && string.IsNullOrWhiteSpace(Endpoint))
            yield return "Wati:Queue:Storage:ConnectionString or Wati:Queue:Storage:Endpoint is required when the queue provider is storage";
        else if (string.IsNullOrWhiteSpace(ConnectionString)
                 && !(Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"))
            yield return "Wati:Queue:Storage:Endpoint must be an absolute http(s) URL";
    }
}
