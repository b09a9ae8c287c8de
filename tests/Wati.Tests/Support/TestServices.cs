using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Wati.Platform.Models;

namespace Wati.Tests.Support;

/// <summary>The service swaps the in-process test hosts make: a scripted model, wrapped adapters, stopped workers.</summary>
internal static class TestServices
{
    /// <summary>Runs every model call on <paramref name="model"/> instead of the configured provider.</summary>
    public static IServiceCollection UseModel(this IServiceCollection services, IModelProvider model)
    {
        services.RemoveAll<IModelProvider>();
        return services.AddSingleton(model);
    }

    /// <summary>Wraps the factory-registered singleton <typeparamref name="T"/> (a store, a queue) in <paramref name="wrap"/>.</summary>
    public static IServiceCollection Decorate<T>(this IServiceCollection services, Func<T, T> wrap) where T : class
    {
        var original = services.Single(d => d.ServiceType == typeof(T));
        services.Remove(original);
        return services.AddSingleton(sp => wrap((T)original.ImplementationFactory!(sp)));
    }

    /// <summary>
    /// Removes the named background workers (queue consumers, sweepers), so a test drives their work
    /// itself; every other hosted service (the admin bootstrap, the usage writer) still runs.
    /// </summary>
    public static IServiceCollection StopWorkers(this IServiceCollection services, params Type[] workers)
    {
        foreach (var d in services.Where(d => d.ServiceType == typeof(IHostedService) && workers.Contains(d.ImplementationType)).ToList())
            services.Remove(d);
        return services;
    }
}
