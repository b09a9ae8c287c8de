using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wati.Platform.Models.Catalog;

namespace Wati.Platform.Models.Replicate;

/// <summary>Registration of the <c>replicate</c> provider (<c>Wati:Models:Provider=replicate</c>).</summary>
public static class ReplicateServices
{
    /// <summary>
    /// Options from <see cref="ReplicateOptions.Section"/>, validated at start; the named HTTP client; the
    /// client and the provider as singletons; and the provider as the <see cref="IModelProvider"/>.
    /// </summary>
    public static IServiceCollection AddReplicateModelProvider(this IServiceCollection services)
    {
        services.AddModelCatalog();
        services.AddOptions<ReplicateOptions>().BindConfiguration(ReplicateOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<ReplicateOptions>, ReplicateDefaults>();
        services.AddSingleton<IValidateOptions<ReplicateOptions>, ReplicateOptionsValidator>();
        services.AddHttpClient(ReplicateClient.HttpClientName, (sp, http) =>
        {
            // Prefer: wait holds a create for up to WaitSeconds; leave room for the answer itself.
            http.Timeout = TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<ReplicateOptions>>().Value.WaitSeconds + 60);
            http.DefaultRequestHeaders.UserAgent.ParseAdd("wati-aigc/1.0");
        });
        services.AddSingleton<ReplicateClient>();
        services.AddSingleton<ReplicateModelFaults>();
        services.AddSingleton<ReplicateModelProvider>();
        services.AddSingleton<IModelProvider>(sp => sp.GetRequiredService<ReplicateModelProvider>());
        return services;
    }
}

/// <summary>What data annotations cannot say: the token is required, the base URL absolute, every model named.</summary>
internal sealed class ReplicateOptionsValidator : IValidateOptions<ReplicateOptions>
{
    public ValidateOptionsResult Validate(string? name, ReplicateOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Token))
            failures.Add($"{ReplicateOptions.Section}:Token is required when Wati:Models:Provider is 'replicate' (a Replicate API token, r8_...)");
        if (!Uri.TryCreate(options.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            failures.Add($"{ReplicateOptions.Section}:BaseUrl must be an absolute http(s) URL");
        foreach (var (model, mapping) in options.Models)
        {
            if (string.IsNullOrWhiteSpace(mapping.Model) || mapping.Model.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
                failures.Add($"{ReplicateOptions.Section}:Models:{model}:Model must be 'owner/name'");
            if (!string.IsNullOrEmpty(mapping.Version) && !mapping.Version.All(char.IsAsciiHexDigit))
                failures.Add($"{ReplicateOptions.Section}:Models:{model}:Version must be a version id (hex), not '{mapping.Version}'");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
