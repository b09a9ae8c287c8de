using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Wati.Envelope;
using Wati.Platform.Common;
using Wati.Platform.Credits;

namespace Wati.Platform.Models.Catalog;

/// <summary>
/// Every model the platform runs (issue 18): the code models (<see cref="Code"/>) and any built at start
/// from configuration. Routes, OpenAPI, prices, queues, providers, batches and metrics loop over it;
/// nothing else lists models. Registered once (<see cref="AddModelCatalog"/>).
/// </summary>
public sealed class ModelCatalog
{
    /// <summary>The queue shared by every model declared in settings (it may stay empty; it is created and consumed anyway).</summary>
    public const string SharedQueue = "jobs-models";

    /// <summary>The code-defined models. Adding one is its file plus one line here.</summary>
    public static IReadOnlyList<ModelDefinition> Code { get; } =
    [
        new Gfpgan(),
        new ReplaceStyle(),
        new ReplaceBackground(),
        new IcLight(),
        new PortraitVideo(),
    ];

    /// <summary>The catalogue of the code models only (tests, tools and defaults that have no container).</summary>
    public static ModelCatalog CodeOnly { get; } = new([]);

    /// <summary>The model queues a consumer reads: each code model's, then <see cref="SharedQueue"/> (not the poison queues).</summary>
    public static IReadOnlyList<string> Queues { get; } = [.. Code.Select(m => m.Queue).Append(SharedQueue).Distinct(StringComparer.Ordinal)];

    private readonly Dictionary<string, ModelDefinition> byName = new(StringComparer.Ordinal);

    /// <param name="declared">Definitions built at start from configuration, after the code models.</param>
    /// <exception cref="ArgumentException">A name is used twice, or a settings-declared model claims a code model's route.</exception>
    public ModelCatalog(IEnumerable<ModelDefinition> declared)
    {
        ArgumentNullException.ThrowIfNull(declared);
        var all = new List<ModelDefinition>();
        foreach (var model in Code.Concat(declared))
        {
            if (!byName.TryAdd(model.Name, model))
                throw new ArgumentException($"model '{model.Name}' is defined twice", nameof(declared));
            if (all.FirstOrDefault(m => string.Equals(m.Route, model.Route, StringComparison.OrdinalIgnoreCase)) is { } taken)
                throw new ArgumentException($"models '{taken.Name}' and '{model.Name}' both claim the route {model.Route}", nameof(declared));
            all.Add(model);
        }
        All = all;
        Names = [.. all.Select(m => m.Name)];
    }

    /// <summary>Every model, code models first.</summary>
    public IReadOnlyList<ModelDefinition> All { get; }

    /// <summary>Every model's name, in <see cref="All"/>'s order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The model named <paramref name="name"/> (exact spelling), or null.</summary>
    public ModelDefinition? Find(string? name) => name is not null && byName.TryGetValue(name, out var model) ? model : null;

    /// <summary>The queue of <paramref name="model"/>'s jobs: its own, or <see cref="SharedQueue"/> for a name the catalogue does not have (a declaration since removed).</summary>
    public string QueueOf(string model) => Find(model)?.Queue ?? SharedQueue;

    /// <summary>The model named <paramref name="name"/>.</summary>
    /// <exception cref="ApiException">404 NOT_FOUND (<c>model not found</c>).</exception>
    public ModelDefinition Get(string name) => Find(name) ?? throw ApiException.NotFound("model");

    /// <summary>The model of a stored job or message (a name the catalogue once had).</summary>
    /// <exception cref="InvalidOperationException">No such model now (its declaration was removed).</exception>
    public ModelDefinition Of(string name) => Find(name) ?? throw new InvalidOperationException($"unknown model '{name}'");

    /// <summary>
    /// <paramref name="name"/> when null or a catalogue model, else 400 VALIDATION_ERROR naming
    /// <paramref name="field"/> with the allowed names (the list filters of jobs, metrics, admin and batches).
    /// </summary>
    public string? CheckName(string? name, string field = "model") =>
        name is null || byName.ContainsKey(name)
            ? name
            : throw ApiException.Validation($"{field} must be one of: {string.Join(", ", Names)}", new { field });
}

/// <summary>The catalogue's registration.</summary>
public static class ModelCatalogRegistration
{
    /// <summary>
    /// The <see cref="ModelCatalog"/> (code models plus every registered <see cref="ModelDefinition"/>
    /// service, e.g. those built from <c>Wati:Models:Catalog</c>), the default prices from the definitions
    /// (<c>Wati:Credits:Prices:{name}</c> still overrides), and a start check that every model has a price.
    /// Safe to call more than once.
    /// </summary>
    public static IServiceCollection AddModelCatalog(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(ModelCatalog))) return services;
        services.TryAddSingleton(sp => new ModelCatalog(sp.GetServices<ModelDefinition>()));
        services.AddSingleton<IPostConfigureOptions<CreditsOptions>, CatalogPrices>();
        services.AddOptions<CreditsOptions>().ValidateProblems((o, sp) => sp.GetRequiredService<ModelCatalog>().All
            .Where(m => !o.Prices.ContainsKey(m.Name))
            .Select(m => $"{CreditsOptions.Section}:Prices:{m.Name} is not set: every catalogue model needs a price")
            .Concat(PriceSettings.Problems(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<ModelCatalog>().Names)));
        return services;
    }

    private sealed class CatalogPrices(IServiceProvider services) : IPostConfigureOptions<CreditsOptions>
    {
        public void PostConfigure(string? name, CreditsOptions options)
        {
            foreach (var model in services.GetRequiredService<ModelCatalog>().All) options.Prices.TryAdd(model.Name, model.Price.Credits);
        }
    }
}
