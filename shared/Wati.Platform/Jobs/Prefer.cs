using System.Globalization;

namespace Wati.Platform.Jobs;

/// <summary>The <c>Prefer</c> header of a submit (RFC 7240): <c>respond-async</c>, or <c>wait=N</c> seconds.</summary>
public readonly record struct Prefer(bool RespondAsync, TimeSpan Wait)
{
    public static Prefer Parse(string header, JobsOptions options)
    {
        var wait = options.SyncWaitSeconds;
        var respondAsync = false;
        foreach (var token in header.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (token.Equals("respond-async", StringComparison.OrdinalIgnoreCase)) respondAsync = true;
            else if (token.StartsWith("wait=", StringComparison.OrdinalIgnoreCase) &&
                     int.TryParse(token.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                wait = Math.Min(n, options.MaxWaitSeconds);
        }
        return new Prefer(respondAsync, TimeSpan.FromSeconds(wait));
    }
}
