using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Wati.Platform.Jobs.Queue;

/// <summary>
/// What one queue's messages mean: a few lines that turn a message into one service call. The polling
/// host's <see cref="QueuePump"/> and the Functions host's queue triggers (<see cref="QueueDelivery"/>) call
/// the same handler, so both hosts settle a message the same way (docs/decisions/0007).
/// </summary>
public interface IQueueHandler
{
    /// <summary>
    /// Processes one delivery. The transport keeps the message hidden meanwhile; the record the message names
    /// decides, so a redelivery or a duplicate must be harmless. Throwing means "deliver it again later".
    /// </summary>
    /// <returns><see cref="ProcessOutcome.Done"/> to remove the message, or a retry delay for a fresh message.</returns>
    Task<ProcessOutcome> HandleAsync(QueueMessage message, CancellationToken ct);

    /// <summary>
    /// The dead-letter hook: <paramref name="message"/> could not be delivered (<paramref name="reason"/>: too many
    /// deliveries, or the Functions host's poison queue). Settles what the message was for, idempotently: it may be
    /// called again for the same letter after a crash. Throwing leaves the letter for the next round.
    /// </summary>
    Task HandleDeadLetterAsync(QueueMessage message, string reason, CancellationToken ct);
}

/// <summary>Handler <paramref name="Handler"/> consumes queue <paramref name="Queue"/>.</summary>
public sealed record QueueHandlerRegistration(string Queue, Type Handler);

/// <summary>The registered handlers, by queue name: the one place that says which queues are consumed and by what.</summary>
public sealed class QueueHandlers(IEnumerable<QueueHandlerRegistration> registrations, IServiceProvider services)
{
    private readonly Dictionary<string, Type> _byQueue = registrations.ToDictionary(r => r.Queue, r => r.Handler, StringComparer.Ordinal);

    /// <summary>Every consumed queue, in registration order.</summary>
    public IReadOnlyList<string> Queues => [.. _byQueue.Keys];

    /// <summary>The handler of <paramref name="queue"/>.</summary>
    /// <exception cref="InvalidOperationException">No handler is registered for it.</exception>
    public IQueueHandler For(string queue) =>
        _byQueue.TryGetValue(queue, out var type)
            ? (IQueueHandler)services.GetRequiredService(type)
            : throw new InvalidOperationException($"no queue handler is registered for queue '{queue}'");
}

/// <summary>Registration of queue handlers.</summary>
public static class QueueHandlerRegistrations
{
    /// <summary>Registers <typeparamref name="THandler"/> (a singleton) as the consumer of <paramref name="queue"/>; one handler per queue.</summary>
    public static IServiceCollection AddQueueHandler<THandler>(this IServiceCollection services, string queue)
        where THandler : class, IQueueHandler
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        services.TryAddSingleton<THandler>();
        services.TryAddSingleton<QueueHandlers>();
        return services.AddSingleton(new QueueHandlerRegistration(queue, typeof(THandler)));
    }
}
