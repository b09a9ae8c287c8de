using System.ComponentModel.DataAnnotations;

namespace Wati.Platform.Credits;

public sealed class CreditsOptions
{
    public const string Section = "Wati:Credits";

    /// <summary>Credits granted at sign-up, as a ledger grant.</summary>
    [Range(0, 1_000_000_000)] public long SignupBonus { get; set; } = 10;

    /// <summary>
    /// Credits per call by model; IC-Light is per image. Configuration keys merge into these defaults,
    /// e.g. <c>Wati__Credits__Prices__iclight=5</c>.
    /// </summary>
    public Dictionary<string, long> Prices { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gfpgan"] = 1,
        ["replace-style"] = 2,
        ["replace-background"] = 2,
        ["iclight"] = 3,
    };

    public long PriceOf(string model) =>
        Prices.TryGetValue(model, out var p) ? p : throw new InvalidOperationException($"no price for model '{model}'");
}
