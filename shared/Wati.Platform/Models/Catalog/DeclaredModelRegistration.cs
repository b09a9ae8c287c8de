using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Wati.Platform.Common;
using Wati.Platform.Http;

namespace Wati.Platform.Models.Catalog;

/// <summary>
/// The models declared under <c>Wati:Models:Catalog</c> (issue 18, item 3), read once at start: each becomes a
/// <see cref="DeclaredModel"/> registered as a <see cref="ModelDefinition"/> service, which <see cref="ModelCatalog"/>
/// picks up. A declaration with a mistake stops the start through the platform's settings checks
/// (<see cref="OptionsRegistration.AddSettingsChecks"/>: "wati: not started; fix these settings…", exit code 2),
/// each message naming its key; then no declared model is registered at all.
/// </summary>
public static class DeclaredModelRegistration
{
    /// <summary>Binds <see cref="CatalogSettings.Section"/> of <paramref name="configuration"/> and registers its models, or its problems.</summary>
    public static IServiceCollection AddDeclaredModels(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var declared = CatalogSettings.Bind(configuration);
        var problems = Problems(declared).ToList();
        if (problems.Count > 0)
        {
            services.AddOptions<WatiOptions>().ValidateOnStart().ValidateProblems((_, _) => problems);
            services.AddSingleton<DeclaredRoutes>();
            return services;
        }
        foreach (var model in declared.Models) services.AddSingleton<ModelDefinition>(new DeclaredModel(model));
        services.AddSingleton<DeclaredRoutes>();
        return services;
    }

    /// <summary>
    /// <see cref="CatalogSettings.Problems"/> with the code models' names reserved, then what only the whole platform
    /// knows: a <c>Route</c> that a code model, another declaration or a platform route already has (or one under
    /// <c>v1/models/</c> other than the model's own, which <c>POST /v1/models/{name}</c> would take), one of our
    /// inputs sent under two Replicate names, and an <c>Output:CountFrom</c> input with neither a default nor <c>Required</c>.
    /// </summary>
    public static IEnumerable<string> Problems(CatalogSettings declared)
    {
        ArgumentNullException.ThrowIfNull(declared);
        foreach (var problem in declared.Problems(ModelCatalog.Code.Select(m => m.Name)))
            yield return problem;

        var taken = ModelCatalog.Code.Select(m => (m.Route, Owner: $"model '{m.Name}'"))
            .Concat(RouteTable.All.Select(r => (Route: r.Template, Owner: $"the platform route {r.Method} /{r.Template}")))
            .ToList();
        foreach (var model in declared.Models)
        {
            var generic = "v1/models/" + model.Name;
            if (!string.Equals(model.Route, generic, StringComparison.OrdinalIgnoreCase))
            {
                if (taken.FirstOrDefault(t => string.Equals(t.Route, model.Route, StringComparison.OrdinalIgnoreCase)) is { Owner: not null } clash)
                    yield return $"{model.Key}:Route '{model.Route}' is taken: {clash.Owner} has it";
                else if (model.Route.StartsWith("v1/models/", StringComparison.OrdinalIgnoreCase))
                    yield return $"{model.Key}:Route '{model.Route}' is under v1/models/, where only '{generic}' is this model's";
            }
            taken.Add((model.Route, $"model '{model.Name}'"));

            // The count charged must be the count asked for: an absent count would leave it to Replicate's own default.
            if (model.Output.KindName == "images" && model.Output.CountFrom is { } countFrom && model.Input(countFrom) is { } count &&
                count.Default is null && !count.IsRequired)
                yield return $"{model.Key}:Inputs:{count.Field} sets the number of outputs (Output:CountFrom), so it needs a Default or Required=true";

            foreach (var twice in model.Replicate.Inputs.Where(p => model.Input(p.Value) is not null)
                         .GroupBy(p => model.Input(p.Value)!.Field, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
                yield return $"{model.Key}:Replicate:Inputs:{twice.Last().Key} sends input '{twice.Key}' a second time " +
                             $"(already as '{twice.First().Key}'): each input goes to one Replicate field";
        }
    }
}
