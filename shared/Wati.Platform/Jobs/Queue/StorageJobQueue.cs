using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using StoredMessage = Azure.Storage.Queues.Models.QueueMessage;
using QueueMessage = Wati.Platform.Jobs.Queue.QueueMessage;

namespace Wati.Platform.Jobs.Queue;

/// <summary>
/// The job queues on Azure Storage Queues (Azure.Storage.Queues), both ports: the visibility timeout is
/// the lease, extended with <c>UpdateMessage</c> (each update returns a new pop receipt, which the next
/// update and the delete must use, so the adapter keeps the latest one per received message); after
/// <see cref="QueueOptions.MaxDeliveries"/> a message moves to <c>{queue}-poison</c> exactly as the
/// Functions host does, and <see cref="ReceiveDeadLettersAsync"/> reads that queue. Message bodies are the
/// design's JSON, base64-encoded: the Functions queue trigger's default encoding, so a message sent here
/// is read by the trigger and the other way round. Storage Queues have no duplicate detection; the job
/// record makes duplicates harmless. Every message that cannot be delivered ends in the poison queue: too
/// many deliveries, a body that is not a job message, and one that is not even base64
/// (<see cref="UndecodableMessages"/>); a poison message that is not a job message stays there, listed by
/// <see cref="GetDeadLettersAsync"/>, until an admin removes it. The Functions host's poison functions put
/// what they cannot settle in <see cref="HeldQueue"/>, which nothing consumes, for the same listing.
/// </summary>
public sealed class StorageJobQueue : IJobQueueProducer, IJobQueueConsumer
{
    /// <summary>The suffix of a queue's poison queue, as the Functions host names it.</summary>
    public const string PoisonSuffix = "-poison";

    /// <summary>Reason given to dead letters moved by this adapter (the Functions host gives none).</summary>
    public const string MaxDeliveryCountExceeded = "MaxDeliveryCountExceeded";

    /// <summary>Reason listed for a poison message whose body is not a job message.</summary>
    public const string NotAJobMessage = "NotAJobMessage";

    /// <summary>
    /// The queue of dead letters a poison-queue function could not settle (a poison queue is consumed by its
    /// function in the Functions host, so nothing can stay there): no trigger listens on it; each message is
    /// <c>{"queue","reason","body"}</c>, listed by <see cref="GetDeadLettersAsync"/> and removed only by an admin.
    /// </summary>
    public const string HeldQueue = "dead-letters";

    private const char IdSeparator = '.';

    // Idle polling backs off from the first to the last, as the Functions queue listener does.
    private static readonly TimeSpan MinPoll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxPoll = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan DeadLetterVisibility = TimeSpan.FromMinutes(2);

    private readonly QueueServiceClient _service;
    private readonly QueueOptions _options;
    private readonly UndecodableMessages _undecodable;
    private readonly ConcurrentDictionary<string, Lazy<Task<QueueClient>>> _queues = new(StringComparer.Ordinal);

    // A send from this process wakes this process's idle receivers at once; other processes' sends are
    // found by polling, which backs off while the queue stays empty.
    private readonly QueueSignals _signals = new();
    // Per lease (not per message: a message received again is a new lease), the message id and latest pop receipt.
    private readonly ConcurrentDictionary<string, (string MessageId, string PopReceipt)> _receipts = new(StringComparer.Ordinal);

    /// <param name="service">Created with <see cref="ClientOptions(UndecodableMessages)"/> of <paramref name="undecodable"/>.</param>
    /// <param name="options">The queue settings.</param>
    /// <param name="undecodable">The decoding-failure handler attached to <paramref name="service"/>'s options.</param>
    public StorageJobQueue(QueueServiceClient service, QueueOptions options, UndecodableMessages undecodable)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(undecodable);
        if (options.MaxDeliveries < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxDeliveries must be at least 1");
        _service = service;
        _options = options;
        _undecodable = undecodable;
    }

    /// <summary>Undecodable messages this adapter's receives moved to a poison queue (see <see cref="UndecodableMessages"/>).</summary>
    public long UndecodableCount => _undecodable.Count;

    /// <summary>
    /// The client options every <see cref="QueueServiceClient"/> for this adapter must use: base64 bodies,
    /// and service version 2026-06-06, the newest that Azurite 3.37 (the emulator the tests and
    /// <c>func start</c> users run) accepts; Azure serves every version, so production loses nothing.
    /// </summary>
    public static QueueClientOptions ClientOptions() => new(QueueClientOptions.ServiceVersion.V2026_06_06)
    {
        MessageEncoding = QueueMessageEncoding.Base64,
    };

    /// <summary><see cref="ClientOptions()"/> with <paramref name="undecodable"/>'s handler: what a receiving client must use.</summary>
    public static QueueClientOptions ClientOptions(UndecodableMessages undecodable)
    {
        ArgumentNullException.ThrowIfNull(undecodable);
        return undecodable.Attach(ClientOptions());
    }

    /// <summary>Creates the model queues and their poison queues where missing.</summary>
    public async Task CreateQueuesAsync(IEnumerable<string> queues, CancellationToken cancellationToken = default)
    {
        foreach (var name in queues)
        {
            await GetAsync(name, cancellationToken).ConfigureAwait(false);
            await GetAsync(name + PoisonSuffix, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Creates one queue (no poison queue) where missing.</summary>
    public Task CreateQueueAsync(string name, CancellationToken cancellationToken = default) => GetAsync(name, cancellationToken);

    public async Task<bool> EnqueueAsync(string queue, QueueMessage message, TimeSpan? delay = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentException.ThrowIfNullOrEmpty(message.Id);
        var client = await GetAsync(queue, cancellationToken).ConfigureAwait(false);
        await client.SendMessageAsync(Serialize(message), Visibility(delay), timeToLive: TimeSpan.FromSeconds(-1), cancellationToken)
            .ConfigureAwait(false);
        if (Visibility(delay) is null) _signals.Pulse(queue);
        return true;
    }

    public async Task<QueueLease?> ReceiveAsync(string queue, TimeSpan visibilityTimeout, TimeSpan maxWait,
        CancellationToken cancellationToken = default)
    {
        if (visibilityTimeout < TimeSpan.FromSeconds(1)) throw new ArgumentOutOfRangeException(nameof(visibilityTimeout), "at least 1 s");
        var client = await GetAsync(queue, cancellationToken).ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        var poll = MinPoll;
        while (true)
        {
            var wake = _signals.Next(queue);
            StoredMessage[] received = (await client.ReceiveMessagesAsync(1, visibilityTimeout, cancellationToken).ConfigureAwait(false)).Value;
            if (received.Length == 1)
            {
                var m = received[0];
                if (m.DequeueCount > _options.MaxDeliveries)
                {
                    await MoveToPoisonAsync(queue, client, m.MessageId, m.PopReceipt, m.Body.ToString(), cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (TryParse(m.Body.ToString()) is not { } message)
                {
                    // Not our contract: it can never be processed, so it goes where the host would put it.
                    // (A body that is not even base64 never gets here: UndecodableMessages moves it.)
                    await MoveToPoisonAsync(queue, client, m.MessageId, m.PopReceipt, m.Body.ToString(), cancellationToken).ConfigureAwait(false);
                    continue;
                }
                var token = Guid.NewGuid().ToString("N");
                _receipts[token] = (m.MessageId, m.PopReceipt);
                return new QueueLease(queue, 0, token, message, (int)Math.Min(int.MaxValue, m.DequeueCount));
            }

            var left = maxWait - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero) return null;
            var woken = await Task.WhenAny(wake, Task.Delay(poll < left ? poll : left, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            poll = woken == wake ? MinPoll : TimeSpan.FromTicks(Math.Min(MaxPoll.Ticks, poll.Ticks * 2));
        }
    }

    public async Task<bool> CompleteAsync(QueueLease lease, CancellationToken cancellationToken = default)
    {
        var client = await GetAsync(lease.Queue, cancellationToken).ConfigureAwait(false);
        return await DeleteAsync(client, lease, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> AbandonAsync(QueueLease lease, TimeSpan? delay = null, CancellationToken cancellationToken = default) =>
        await UpdateAsync(lease, Visibility(delay) ?? TimeSpan.Zero, cancellationToken).ConfigureAwait(false);

    public async Task<bool> RescheduleAsync(QueueLease lease, TimeSpan delay, CancellationToken cancellationToken = default)
    {
        if (!_receipts.ContainsKey(lease.LeaseToken)) return false;
        // Send first: a crash in between leaves a duplicate, which the job record makes harmless, never a loss.
        await EnqueueAsync(lease.Queue, lease.Message with { Attempt = lease.Message.Attempt + 1 }, delay, cancellationToken)
            .ConfigureAwait(false);
        return await CompleteAsync(lease, cancellationToken).ConfigureAwait(false);
    }

    public Task<bool> RenewAsync(QueueLease lease, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default) =>
        UpdateAsync(lease, visibilityTimeout, cancellationToken);

    public async Task<bool> DeadLetterAsync(QueueLease lease, string reason, CancellationToken cancellationToken = default)
    {
        if (!_receipts.TryGetValue(lease.LeaseToken, out var held)) return false;
        var client = await GetAsync(lease.Queue, cancellationToken).ConfigureAwait(false);
        await MoveToPoisonAsync(lease.Queue, client, held.MessageId, held.PopReceipt, Serialize(lease.Message), cancellationToken).ConfigureAwait(false);
        _receipts.TryRemove(lease.LeaseToken, out _);
        return true;
    }

    public async Task<IReadOnlyList<DeadLetter>> ReceiveDeadLettersAsync(string queue, int take = 16, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(take);
        var poison = await GetAsync(queue + PoisonSuffix, cancellationToken).ConfigureAwait(false);
        var undecodable = UndecodableMessages.Collect();
        StoredMessage[] received = (await poison.ReceiveMessagesAsync(Math.Min(32, take), DeadLetterVisibility, cancellationToken)
            .ConfigureAwait(false)).Value;
        // A message that names no job (or cannot even be decoded: the client leaves those out) has nothing to
        // settle: it stays for the admin, visible again at once so that the listing (a peek) shows it.
        foreach (var u in undecodable.Where(u => u.PopReceipt is not null)) await ShowAgainAsync(poison, u.MessageId, u.PopReceipt!);
        var letters = new List<DeadLetter>();
        foreach (var m in received)
        {
            if (TryParse(m.Body.ToString()) is not { } message)
            {
                await ShowAgainAsync(poison, m.MessageId, m.PopReceipt);
                continue;
            }
            letters.Add(new DeadLetter(queue, 0, message, (int)Math.Min(int.MaxValue, m.DequeueCount), MaxDeliveryCountExceeded,
                m.InsertedOn ?? DateTimeOffset.UtcNow) { Token = m.MessageId + "\n" + m.PopReceipt });
        }
        return letters;
    }

    public async Task AcknowledgeDeadLetterAsync(DeadLetter deadLetter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deadLetter);
        if (deadLetter.Token?.Split('\n') is not [var id, var receipt]) throw new ArgumentException("not received from this queue", nameof(deadLetter));
        var poison = await GetAsync(deadLetter.Queue + PoisonSuffix, cancellationToken).ConfigureAwait(false);
        try
        {
            await poison.DeleteMessageAsync(id, receipt, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Handled by another consumer meanwhile.
        }
    }

    public async Task<QueueCounts> GetCountsAsync(string queue, CancellationToken cancellationToken = default)
    {
        var main = await (await GetAsync(queue, cancellationToken).ConfigureAwait(false)).GetPropertiesAsync(cancellationToken).ConfigureAwait(false);
        var poison = await (await GetAsync(queue + PoisonSuffix, cancellationToken).ConfigureAwait(false))
            .GetPropertiesAsync(cancellationToken).ConfigureAwait(false);
        // Storage Queues count visible and invisible messages together.
        return new QueueCounts(main.Value.ApproximateMessagesCount, 0, poison.Value.ApproximateMessagesCount);
    }

    /// <summary>
    /// Peeks the poison queue and <see cref="HeldQueue"/> (up to 32 each, the service's limit): dead letters not
    /// handled yet, and the ones no hook settles (foreign or undecodable bodies, listed with their text).
    /// Messages a consumer holds at the moment are invisible and so not listed.
    /// </summary>
    public async Task<IReadOnlyList<DeadLetterEntry>> GetDeadLettersAsync(string queue, int take = 100, CancellationToken cancellationToken = default)
    {
        var poison = await GetAsync(queue + PoisonSuffix, cancellationToken).ConfigureAwait(false);
        var undecodable = UndecodableMessages.Collect();
        PeekedMessage[] peeked = (await poison.PeekMessagesAsync(Math.Clamp(take, 1, 32), cancellationToken).ConfigureAwait(false)).Value;
        var entries = peeked.Select(p => Entry(queue, poison.Name, p.MessageId, p.Body.ToString(), p.DequeueCount, p.InsertedOn)).ToList();
        entries.AddRange(undecodable.Select(u => Entry(queue, poison.Name, u.MessageId, u.Body, u.DequeueCount, u.InsertedOn, decoded: false)));

        var held = await GetAsync(HeldQueue, cancellationToken).ConfigureAwait(false);
        foreach (var p in (await held.PeekMessagesAsync(32, cancellationToken).ConfigureAwait(false)).Value)
        {
            if (Held.Parse(p.Body.ToString()) is { } h && h.Queue == queue)
                entries.Add(Entry(queue, held.Name, p.MessageId, h.Body, p.DequeueCount, p.InsertedOn) with { Reason = h.Reason });
        }
        return entries.OrderBy(e => e.DeadLetteredAt).Take(take).ToList();
    }

    /// <summary>Removes a listed dead letter from its poison queue or <see cref="HeldQueue"/> (never from a live queue).</summary>
    public async Task<bool> DeleteDeadLetterAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var at = id.IndexOf(IdSeparator, StringComparison.Ordinal);
        if (at <= 0 || at == id.Length - 1) return false;
        var (name, messageId) = (id[..at], id[(at + 1)..]);
        if (!(name.EndsWith(PoisonSuffix, StringComparison.Ordinal) || name == HeldQueue)) return false;

        // Deleting needs a pop receipt, which only a receive gives: take a few, delete the one, give the rest back at once.
        var client = await GetAsync(name, cancellationToken).ConfigureAwait(false);
        var undecodable = UndecodableMessages.Collect();
        StoredMessage[] received = (await client.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false)).Value;
        var found = false;
        foreach (var (mid, receipt) in received.Select(m => (m.MessageId, m.PopReceipt))
                     .Concat(undecodable.Where(u => u.PopReceipt is not null).Select(u => (u.MessageId, u.PopReceipt!))))
        {
            try
            {
                if (mid == messageId)
                {
                    await client.DeleteMessageAsync(mid, receipt, cancellationToken).ConfigureAwait(false);
                    found = true;
                }
                else
                {
                    await ShowAgainAsync(client, mid, receipt);
                }
            }
            catch (RequestFailedException e) when (e.Status is 404 or 400)
            {
                // Gone meanwhile (another admin, a dead-letter hook).
            }
        }
        return found;
    }

    /// <summary>
    /// Puts what a poison-queue function could not settle into <see cref="HeldQueue"/>, with where it came from
    /// (<paramref name="queue"/>, the queue whose dead letter it is) and why; the body is cut to a bound.
    /// </summary>
    public async Task HoldAsync(string queue, string body, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ArgumentNullException.ThrowIfNull(body);
        var held = await GetAsync(HeldQueue, cancellationToken).ConfigureAwait(false);
        var text = JsonSerializer.Serialize(new Held(queue, reason, body.Length <= HeldBodyChars ? body : body[..HeldBodyChars]));
        await held.SendMessageAsync(text, timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    // A queue message holds 64 KiB after base64 (which grows text by a third); the envelope needs a little.
    private const int HeldBodyChars = 16 * 1024;

    private static DeadLetterEntry Entry(string queue, string holder, string messageId, string body, long dequeueCount, DateTimeOffset? at,
        bool decoded = true)
    {
        var message = decoded ? TryParse(body) : null;
        return new DeadLetterEntry(holder + IdSeparator + messageId, queue, message, message is null ? DeadLetterEntry.Bounded(body) : null,
            (int)Math.Min(int.MaxValue, dequeueCount), message is null ? NotAJobMessage : MaxDeliveryCountExceeded, at ?? default);
    }

    /// <summary>A message of <see cref="HeldQueue"/>.</summary>
    private sealed record Held(
        [property: System.Text.Json.Serialization.JsonPropertyName("queue")] string Queue,
        [property: System.Text.Json.Serialization.JsonPropertyName("reason")] string Reason,
        [property: System.Text.Json.Serialization.JsonPropertyName("body")] string Body)
    {
        public static Held? Parse(string text)
        {
            try
            {
                return JsonSerializer.Deserialize<Held>(text) is { Queue.Length: > 0 } h ? h with { Reason = h.Reason ?? "", Body = h.Body ?? "" } : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    /// <summary>Readiness: <see cref="ProbeAsync"/> on the first model's queue (never a service-level call).</summary>
    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken = default) =>
        await ProbeAsync(Models.Catalog.ModelCatalog.Queues[0], cancellationToken).ConfigureAwait(false) is null;

    private static async Task ShowAgainAsync(QueueClient client, string messageId, string popReceipt)
    {
        try
        {
            await client.UpdateMessageAsync(messageId, popReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 400)
        {
            // Removed meanwhile (an admin).
        }
    }

    private async Task<bool> UpdateAsync(QueueLease lease, TimeSpan visibility, CancellationToken cancellationToken)
    {
        if (!_receipts.TryGetValue(lease.LeaseToken, out var held)) return false;
        var client = await GetAsync(lease.Queue, cancellationToken).ConfigureAwait(false);
        try
        {
            var updated = await client.UpdateMessageAsync(held.MessageId, held.PopReceipt, visibilityTimeout: visibility,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            _receipts[lease.LeaseToken] = (held.MessageId, updated.Value.PopReceipt);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 400)
        {
            // The lease ran out and another consumer took the message (the pop receipt no longer matches).
            _receipts.TryRemove(lease.LeaseToken, out _);
            return false;
        }
    }

    private async Task<bool> DeleteAsync(QueueClient client, QueueLease lease, CancellationToken cancellationToken)
    {
        if (!_receipts.TryRemove(lease.LeaseToken, out var held)) return false;
        try
        {
            await client.DeleteMessageAsync(held.MessageId, held.PopReceipt, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 400)
        {
            return false;
        }
    }

    private async Task MoveToPoisonAsync(string queue, QueueClient client, string messageId, string popReceipt, string body,
        CancellationToken cancellationToken)
    {
        var poison = await GetAsync(queue + PoisonSuffix, cancellationToken).ConfigureAwait(false);
        await poison.SendMessageAsync(body, timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await client.DeleteMessageAsync(messageId, popReceipt, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 400)
        {
            // Someone else moved it meanwhile; the duplicate dead letter is handled idempotently.
        }
    }

    private Task<QueueClient> GetAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var lazy = _queues.GetOrAdd(name, n => new Lazy<Task<QueueClient>>(async () =>
        {
            var client = _service.GetQueueClient(n);
            await client.CreateIfNotExistsAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
            return client;
        }));
        var task = lazy.Value;
        // A failed creation is not cached: the next call tries again.
        if (task.IsFaulted) _queues.TryRemove(new KeyValuePair<string, Lazy<Task<QueueClient>>>(name, lazy));
        return task.WaitAsync(cancellationToken);
    }

    private static TimeSpan? Visibility(TimeSpan? delay)
    {
        if (delay is null || delay <= TimeSpan.Zero) return null;
        // The service counts whole seconds, at most 7 days.
        var seconds = Math.Min(Math.Ceiling(delay.Value.TotalSeconds), TimeSpan.FromDays(7).TotalSeconds - 1);
        return TimeSpan.FromSeconds(seconds);
    }

    private static string Serialize(QueueMessage message) =>
        JsonSerializer.Serialize(new WireMessage(message.Id, message.Kind, message.Attempt));

    /// <summary>The message of a body in the design's JSON; null when it is not one.</summary>
    public static QueueMessage? TryParse(string body)
    {
        try
        {
            return JsonSerializer.Deserialize<WireMessage>(body) is { JobId.Length: > 0, Model.Length: > 0 } w
                ? new QueueMessage(w.JobId, w.Model, Math.Max(1, w.Attempt))
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Design section 9's message: <c>{"job_id","model","attempt"}</c>, the names every sent message has carried (never change them).</summary>
    private sealed record WireMessage(
        [property: System.Text.Json.Serialization.JsonPropertyName("job_id")] string JobId,
        [property: System.Text.Json.Serialization.JsonPropertyName("model")] string Model,
        [property: System.Text.Json.Serialization.JsonPropertyName("attempt")] int Attempt);

    /// <summary>
    /// The readiness probe: the properties of the app's own queue <paramref name="queue"/> (Get Queue
    /// Metadata), which the Storage Queue Data Contributor role grants; Get Queue Service Properties needs
    /// <c>queueServices/read</c>, which that role lacks, and Azure answers it 403 (issue 17). No retries
    /// are waited out beyond what <paramref name="cancellationToken"/> allows.
    /// </summary>
    /// <returns>Null when the queue answers; else what failed, naming the queue.</returns>
    public async Task<string?> ProbeAsync(string queue, CancellationToken cancellationToken = default)
    {
        try
        {
            await _service.GetQueueClient(queue).GetPropertiesAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return $"queue '{queue}' does not exist";
        }
        catch (RequestFailedException e) when (e.Status != 0)
        {
            return $"queue '{queue}' answered {e.Status} {e.ErrorCode}";
        }
        catch (Exception e) when (e is RequestFailedException or AggregateException or HttpRequestException)
        {
            return $"the queue endpoint cannot be reached ({e.Message.Split('\n', 2)[0]})";
        }
    }
}
