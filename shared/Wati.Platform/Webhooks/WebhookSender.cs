using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Envelope;
using Wati.Platform.Data;
using Wati.Platform.Jobs;
using Wati.Platform.Jobs.Queue;

namespace Wati.Platform.Webhooks;

/// <summary>One logged delivery attempt.</summary>
public sealed record DeliveryView(string EventId, string EventType, int Attempt, int? StatusCode, string? Error, bool Delivered,
    DateTimeOffset At, long DurationMs);

/// <summary>
/// Webhook events and their delivery (issue 12). An event is written with what completes it (the batch
/// row's <c>completed</c> mark), in the owner's partition (<c>whevent|{event}</c>, with the exact body
/// bytes to send), then its message goes to queue <c>webhooks</c>. <see cref="ProcessAsync"/> makes one
/// attempt per delivery: POST to the guarded URL, signed <c>Wati-Signature: t={unix},v1={hex
/// HMAC-SHA256(secret, "{t}.{body}")}</c>, with the same <c>Wati-Event-Id</c> on every retry; each
/// attempt is logged (<c>whattempt|{batch}|{event}|{n}</c>); a non-2xx answer or a failure retries with
/// exponential backoff until <see cref="WebhooksOptions.MaxAttempts"/>.
/// </summary>
public sealed class WebhookSender(ITableStore store, WebhookSecrets secrets, IJobQueueProducer queue, TimeProvider time,
    IOptions<WebhooksOptions> options, ILogger<WebhookSender> logger) : IQueueHandler
{
    /// <summary>The handler of queue <c>webhooks</c> (docs/decisions/0007): a delivery makes one attempt of its event.</summary>
    Task<ProcessOutcome> IQueueHandler.HandleAsync(QueueMessage message, CancellationToken ct) => ProcessAsync(message, ct);

    /// <summary>Its dead-letter hook gives the event up (<see cref="GiveUpAsync"/>).</summary>
    Task IQueueHandler.HandleDeadLetterAsync(QueueMessage message, string reason, CancellationToken ct) => GiveUpAsync(message, reason, ct);

    /// <summary>The queue of webhook messages (<see cref="QueueMessage"/> with the event id and kind <c>webhook</c>).</summary>
    public const string Queue = "webhooks";

    private const string EventPrefix = "whevent|";
    private const string AttemptPrefix = "whattempt|";
    private const string LookupRow = "event";

    private WebhooksOptions Options => options.Value;

    /// <summary>The rows that create event <paramref name="eventId"/> for a batch (to commit with the batch's completion).</summary>
    public static TableEntity EventRow(string userId, string eventId, string type, string subjectId, string url, string body,
        DateTimeOffset now) =>
        new TableEntity(userId, EventPrefix + eventId).With("type", type).With("subject_id", subjectId).With("url", url)
            .With("body", body).With("state", "pending").With("attempts", 0L).With("created_at", now);

    /// <summary>Writes the event's lookup row and sends its message; after the event row committed.</summary>
    public async Task SendAsync(string userId, string eventId, CancellationToken ct)
    {
        await store.UpsertAsync(TableNames.Batches, new TableEntity(eventId, LookupRow).With("user_id", userId), ct);
        await queue.EnqueueAsync(Queue, new QueueMessage(eventId, "webhook"), cancellationToken: ct);
    }

    /// <summary>One attempt of the event named by <paramref name="message"/>; Retry with the backoff delay while attempts are left.</summary>
    public async Task<ProcessOutcome> ProcessAsync(QueueMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        var eventId = message.Id;
        if (await PendingEventAsync(eventId, ct) is not ({ } userId, { } ev)) return ProcessOutcome.Done;

        var attempt = (int)(ev.GetInt64("attempts") ?? 0) + 1;
        var (status, error, elapsed) = await PostAsync(userId, eventId, ev.GetString("type")!, ev.GetString("url")!, ev.GetString("body")!, ct);
        var delivered = status is >= 200 and < 300;
        var final = delivered || attempt >= Options.MaxAttempts;
        // False: another delivery of the same message recorded this attempt.
        if (!await RecordAsync(userId, ev, attempt, status, error, delivered, final, elapsed, ct) || final) return ProcessOutcome.Done;
        var delay = TimeSpan.FromMilliseconds(Math.Min(Options.FirstRetryMilliseconds * Math.Pow(2, attempt - 1), Options.MaxDelaySeconds * 1000.0));
        logger.LogInformation("Webhook {EventId} attempt {Attempt} failed ({Status} {Error}); next in {Delay}", eventId, attempt, status, error, delay);
        return ProcessOutcome.Retry(delay);
    }

    /// <summary>
    /// The dead-letter hook of queue <c>webhooks</c>: no consumer could finish the event's message, so the event
    /// is given up. A pending event is marked <c>failed</c> and one more entry is logged beside its attempts
    /// (nothing was sent: no status, <c>error</c> saying it was given up and why), so the deliveries log shows it.
    /// Idempotent: an event already delivered, failed or given up is left alone.
    /// </summary>
    public async Task GiveUpAsync(QueueMessage message, string reason, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (await PendingEventAsync(message.Id, ct) is not ({ } userId, { } ev)) return;
        var attempt = (int)(ev.GetInt64("attempts") ?? 0) + 1;
        if (await RecordAsync(userId, ev, attempt, null, $"{GivenUp}: its queue message was dead-lettered ({reason})", false, true, TimeSpan.Zero, ct))
            logger.LogWarning("Webhook {EventId} given up after {Attempts} attempts: its message was dead-lettered ({Reason})", message.Id, attempt - 1, reason);
    }

    /// <summary>How the deliveries log's <c>error</c> of a given-up event starts.</summary>
    public const string GivenUp = "given up";

    private async Task<(string UserId, TableEntity Event)?> PendingEventAsync(string eventId, CancellationToken ct)
    {
        if (await store.GetAsync(TableNames.Batches, eventId, LookupRow, ct) is not { } lookup) return null;
        var userId = lookup.GetString("user_id")!;
        return await store.GetAsync(TableNames.Users, userId, EventPrefix + eventId, ct) is { } ev && ev.GetString("state") == "pending"
            ? (userId, ev)
            : null;
    }

    /// <summary>Logs attempt <paramref name="attempt"/> and moves the event on, guarded by its ETag; false when another delivery did first.</summary>
    private async Task<bool> RecordAsync(string userId, TableEntity ev, int attempt, int? status, string? error, bool delivered, bool final,
        TimeSpan elapsed, CancellationToken ct)
    {
        var eventId = ev.RowKey[EventPrefix.Length..];
        var log = new TableEntity(userId, AttemptPrefix + ev.GetString("subject_id") + "|" + eventId + "|" + attempt.ToString("D3", CultureInfo.InvariantCulture))
            .With("event_id", eventId).With("type", ev.GetString("type")).With("attempt", (long)attempt).With("status", status is null ? null : (long)status)
            .With("error", error).With("delivered", delivered).With("at", time.GetUtcNow()).With("duration_ms", (long)elapsed.TotalMilliseconds);
        var next = ev.Clone().With("attempts", (long)attempt).With("state", delivered ? "delivered" : final ? "failed" : "pending");
        try
        {
            await store.ExecuteBatchAsync(TableNames.Users, [TableOperation.Upsert(log), TableOperation.Replace(next, ev.ETag ?? "*")], ct);
            return true;
        }
        catch (TableStoreException e) when (e.IsPreconditionFailed)
        {
            return false;
        }
    }

    /// <summary>The delivery attempts logged for <paramref name="subjectId"/> (a batch), in order.</summary>
    public async Task<IReadOnlyList<DeliveryView>> AttemptsAsync(string userId, string subjectId, CancellationToken ct)
    {
        var page = await store.QueryAsync(TableNames.Users, TableQuery.Prefix(userId, AttemptPrefix + subjectId + "|"), ct);
        return page.Items.Select(e => new DeliveryView(e.GetString("event_id")!, e.GetString("type")!, (int)(e.GetInt64("attempt") ?? 0),
            e.GetInt64("status") is { } s ? (int)s : null, e.GetString("error"), e.GetBool("delivered") ?? false,
            e.GetTime("at") ?? DateTimeOffset.UnixEpoch, e.GetInt64("duration_ms") ?? 0)).ToList();
    }

    /// <summary>The signature header value: <c>t={unix},v1={hex HMAC-SHA256(secret, "{t}.{body}")}</c>.</summary>
    public static string Sign(string secret, long unixSeconds, byte[] body)
    {
        var prefix = Encoding.UTF8.GetBytes(unixSeconds.ToString(CultureInfo.InvariantCulture) + ".");
        byte[] message = [.. prefix, .. body];
        var signed = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message);
        return $"t={unixSeconds.ToString(CultureInfo.InvariantCulture)},v1={Convert.ToHexStringLower(signed)}";
    }

    private async Task<(int? Status, string? Error, TimeSpan Elapsed)> PostAsync(string userId, string eventId, string type, string url,
        string body, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var uri = UrlGuard.ParseUrl(url, "webhook_url", Options.AllowLoopback);
            // Resolved and checked again now, and the connection pinned to what was checked.
            var addresses = await UrlGuard.ResolveAsync(uri, "webhook_url", Options.AllowLoopback, ct);
            using var handler = UrlGuard.CreateHandler(addresses, TimeSpan.FromSeconds(Options.TimeoutSeconds));
            using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(Options.TimeoutSeconds) };
            var bytes = Encoding.UTF8.GetBytes(body);
            using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            request.Headers.Add("Wati-Event-Id", eventId);
            request.Headers.Add("Wati-Event-Type", type);
            request.Headers.Add("Wati-Signature", Sign(await secrets.GetAsync(userId, ct), time.GetUtcNow().ToUnixTimeSeconds(), bytes));
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            return ((int)response.StatusCode, null, clock.Elapsed);
        }
        catch (ApiException e)
        {
            return (null, e.Message, clock.Elapsed);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return (null, e is TaskCanceledException ? "timed out" : e.Message, clock.Elapsed);
        }
    }
}
