using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Wati.Platform.Credits;

/// <summary>
/// The start check of <c>Wati:Credits:Prices</c>: the configuration binder drops a dictionary value it
/// cannot convert (<c>abc</c>, <c>1.5</c>, a number over int64) without a word, and a negative price
/// would only fail at the first charge (a 500). So every configured price is read as written: a whole
/// number of credits from 0 to <see cref="MaxPrice"/>, for a model the catalogue has.
/// </summary>
public static class PriceSettings
{
    /// <summary>The largest price per unit accepted (credits).</summary>
    public const long MaxPrice = 1_000_000_000;

    /// <summary>Every problem of the configured prices, each naming its full key (empty when all are right).</summary>
    /// <param name="configuration">The app's configuration (the raw text of each price is read from it).</param>
    /// <param name="models">The catalogue's model names; a price for another name is a typo.</param>
    public static IEnumerable<string> Problems(IConfiguration configuration, IReadOnlyCollection<string> models)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(models);
        foreach (var price in configuration.GetSection(CreditsOptions.Section + ":Prices").GetChildren())
        {
            var key = price.Path;
            if (!models.Contains(price.Key, StringComparer.OrdinalIgnoreCase))
                yield return $"{key} names no model of the catalogue (models: {string.Join(", ", models)})";
            else if (price.Value is null)
                yield return $"{key} must be a whole number of credits, not a section";
            else if (!long.TryParse(price.Value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var credits))
                yield return $"{key} must be a whole number of credits from 0 to {MaxPrice}";
            else if (credits is < 0 or > MaxPrice)
                yield return $"{key} must be from 0 to {MaxPrice} credits, not {credits}";
        }
    }
}
