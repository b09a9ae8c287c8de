using System.Diagnostics.Metrics;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Azure.Storage.Queues.Specialized;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Wati.Platform.Jobs.Queue;

/// <summary>
/// The <see cref="QueueClientOptions.MessageDecodingFailed"/> handler of the Storage Queues adapter. A body
/// that is not base64 (another producer, a hand-written message) cannot be decoded, and the client then
/// leaves it where it is and only raises this event (Azure.Storage.Queues documents that the handler must
/// remove it itself). Without a handler every receive throws on it, and since the throw comes before our
/// code sees a dequeue count it cycles for ever and never reaches the poison queue. Here a received
/// undecodable message is moved, as it is, to <c>{queue}-poison</c> and counted (a warning log, <see cref="Count"/>,
/// and the <c>wati.queue.undecodable_messages</c> counter). One in a poison queue is left there for the
/// admin to see and remove; listing and removal collect the raw messages through <see cref="Collect"/>.
/// </summary>
public sealed class UndecodableMessages(ILogger<UndecodableMessages>? logger = null)
{
    /// <summary>The name of the counter of undecodable messages moved to a poison queue.</summary>
    public const string CounterName = "wati.queue.undecodable_messages";

    // The usage meter: whoever exports usage metrics (OTLP) exports this counter too.
    private static readonly Meter Meter = new(Metrics.OtlpMetricsSink.MeterName);
    private static readonly Counter<long> Counter = Meter.CreateCounter<long>(CounterName, description: "Queue messages that could not be decoded, moved to a poison queue");
    private static readonly AsyncLocal<List<RawMessage>?> Collector = new();

    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;
    private long _count;

    /// <summary>Undecodable messages this process moved to a poison queue since it started.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Adds the handler to <paramref name="options"/> and answers them.</summary>
    public QueueClientOptions Attach(QueueClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.MessageDecodingFailed += OnDecodingFailedAsync;
        return options;
    }

    /// <summary>
    /// From here until the calling async method returns, undecodable messages that a receive or peek of this
    /// flow meets are also recorded in the answered list (the client leaves them out of its results).
    /// </summary>
    internal static List<RawMessage> Collect() => Collector.Value = [];

    private async Task OnDecodingFailedAsync(QueueMessageDecodingFailedEventArgs args)
    {
        var queue = args.Queue.Name;
        if (Collector.Value is { } collected)
        {
            lock (collected)
                collected.Add(args.ReceivedMessage is { } r
                    ? new RawMessage(r.MessageId, r.PopReceipt, r.Body.ToString(), r.DequeueCount, r.InsertedOn)
                    : new RawMessage(args.PeekedMessage.MessageId, null, args.PeekedMessage.Body.ToString(), args.PeekedMessage.DequeueCount,
                        args.PeekedMessage.InsertedOn));
        }
        // A peek changes nothing, and a poison queue has no poison queue: such a message stays for the admin.
        if (args.ReceivedMessage is not { } received || queue.EndsWith(StorageJobQueue.PoisonSuffix, StringComparison.Ordinal)) return;

        var poison = args.Queue.GetParentQueueServiceClient().GetQueueClient(queue + StorageJobQueue.PoisonSuffix);
        try
        {
            // Sent as received: the poison client base64-encodes the text, so the poison copy decodes to it.
            if (args.IsRunningSynchronously)
            {
                poison.CreateIfNotExists(cancellationToken: args.CancellationToken);
                poison.SendMessage(received.Body.ToString(), timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: args.CancellationToken);
                args.Queue.DeleteMessage(received.MessageId, received.PopReceipt, args.CancellationToken);
            }
            else
            {
                await poison.CreateIfNotExistsAsync(cancellationToken: args.CancellationToken).ConfigureAwait(false);
                await poison.SendMessageAsync(received.Body.ToString(), timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: args.CancellationToken)
                    .ConfigureAwait(false);
                await args.Queue.DeleteMessageAsync(received.MessageId, received.PopReceipt, args.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (RequestFailedException e)
        {
            // Left where it is: it comes back after its visibility timeout and is moved then.
            _logger.LogWarning(e, "An undecodable message on {Queue} could not be moved to its poison queue yet", queue);
            return;
        }
        Interlocked.Increment(ref _count);
        Counter.Add(1, new KeyValuePair<string, object?>("queue", queue));
        // The body is not logged: it is foreign text of any size.
        _logger.LogWarning("A message on {Queue} is not base64 ({Length} characters, delivery {DequeueCount}) and cannot be decoded; moved to {Poison}",
            queue, received.Body.ToMemory().Length, received.DequeueCount, poison.Name);
    }

    /// <summary>An undecodable message as the service sent it; <paramref name="PopReceipt"/> only when it was received.</summary>
    internal sealed record RawMessage(string MessageId, string? PopReceipt, string Body, long DequeueCount, DateTimeOffset? InsertedOn);
}
