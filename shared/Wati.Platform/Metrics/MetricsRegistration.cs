using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Wati.Platform.Common;

namespace Wati.Platform.Metrics;

/// <summary>The metrics pipeline in every host: recorder and its writer, publisher, reader, and the OTLP sink when configured.</summary>
public static class MetricsRegistration
{
    public static IServiceCollection AddMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddWatiOptions<MetricsOptions, MetricsOptionsValidator>(MetricsOptions.Section).ValidateProblems((o, _) => o.Problems());
        services.TryAddSingleton<UsageRecorder>();
        services.TryAddSingleton<IJobEvents>(sp => sp.GetRequiredService<UsageRecorder>());
        services.AddHostedService<UsageWriter>();
        services.TryAddSingleton<MetricsPublisher>();
        services.TryAddSingleton<MetricsReader>();
        if (!string.IsNullOrWhiteSpace(configuration[$"{MetricsOptions.Section}:{nameof(MetricsOptions.OtlpEndpoint)}"]))
            services.AddSingleton<IMetricsSink, OtlpMetricsSink>();
        return services;
    }
}
