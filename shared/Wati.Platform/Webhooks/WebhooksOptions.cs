using System.ComponentModel.DataAnnotations;

namespace Wati.Platform.Webhooks;

/// <summary>Webhook settings (<c>Wati:Webhooks</c>).</summary>
public sealed class WebhooksOptions
{
    public const string Section = "Wati:Webhooks";

    /// <summary>Deliver to loopback addresses (and over plain http): for tests only.</summary>
    public bool AllowLoopback { get; set; }

    /// <summary>Attempts per event before it is given up (each logged).</summary>
    [Range(1, 30)] public int MaxAttempts { get; set; } = 8;

    /// <summary>Delay before the second attempt, in milliseconds; doubled for each one after, up to <see cref="MaxDelaySeconds"/>.</summary>
    [Range(10, 600_000)] public int FirstRetryMilliseconds { get; set; } = 10_000;

    /// <summary>Longest delay between two attempts, in seconds (the whole period is bounded by attempts × this).</summary>
    [Range(1, 86_400)] public int MaxDelaySeconds { get; set; } = 3600;

    /// <summary>How long one attempt may take, in seconds.</summary>
    [Range(1, 120)] public int TimeoutSeconds { get; set; } = 10;
}
