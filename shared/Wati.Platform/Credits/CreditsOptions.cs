using System.ComponentModel.DataAnnotations;

namespace Wati.Platform.Credits;

public sealed class CreditsOptions
{
    public const string Section = "Wati:Credits";

    /// <summary>Credits granted at sign-up, as a ledger grant.</summary>
    [Range(0, 1_000_000_000)] public long SignupBonus { get; set; } = 10;

    /// <summary>
    /// Credits per unit by model (the unit is the model's <see cref="Models.Catalog.ModelPrice.Per"/>: a call,
    /// an output such as IC-Light's images, or a second of output). The defaults come from the model
    /// definitions (code models here, every catalogue model at start); configuration keys merge into them,
    /// e.g. <c>Wati__Credits__Prices__iclight=5</c>.
    /// </summary>
    public Dictionary<string, long> Prices { get; set; } =
        Models.Catalog.ModelCatalog.Code.ToDictionary(m => m.Name, m => m.Price.Credits, StringComparer.OrdinalIgnoreCase);

    /// <summary>The credits per unit of <paramref name="model"/>.</summary>
    /// <exception cref="InvalidOperationException">It has no price (the start check makes sure every catalogue model has one).</exception>
    public long PriceOf(string model) =>
        Prices.TryGetValue(model, out var p) ? p : throw new InvalidOperationException($"no price for model '{model}'");
}
