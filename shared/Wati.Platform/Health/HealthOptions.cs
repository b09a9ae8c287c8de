using System.ComponentModel.DataAnnotations;

namespace Wati.Platform.Health;

/// <summary>How <c>/readyz</c> asks its checks (issue 17: answer within about 2 s, naming every failing adapter).</summary>
public sealed class HealthOptions
{
    public const string Section = "Wati:Health";

    /// <summary>
    /// How long one readiness check may take, in milliseconds; the checks run at once, so <c>/readyz</c>
    /// answers within about this long. A check that has not answered by then is reported as failing.
    /// </summary>
    [Range(100, 30_000)] public int CheckTimeoutMilliseconds { get; set; } = 2000;
}
