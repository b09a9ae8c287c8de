using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wati.Platform.Common;
using Wati.Platform.Health;
using Wati.Platform.Storage.S3;

namespace Wati.Platform.Storage;

/// <summary>The object-store port's adapter: <c>filesystem</c> (embedded, <c>/files</c> links) or <c>s3</c> (R2, any S3 server).</summary>
public static class StorageRegistration
{
    public const string ProviderKey = "Wati:Storage:Provider";
    private const string SigningKeyKey = "Wati:Storage:SigningKey";

    public static IServiceCollection AddObjectStorage(this IServiceCollection services, IConfiguration configuration)
    {
        var provider = PlatformProfile.Provider(configuration, ProviderKey, "filesystem", "s3", "filesystem", "s3");
        var options = services.AddWatiOptionsWithoutAttributes<StorageOptions>(StorageOptions.Section);
        services.AddSingleton<IPublicBaseUrl, RequestBaseUrl>();
        if (provider == "filesystem")
        {
            services.AddSingleton<IReadinessCheck>(sp => new ObjectStoreReadiness(sp.GetRequiredService<IObjectStore>()));
            options.ValidateProblems((o, sp) => DataKeys.Problem(o.SigningKey, SigningKeyKey, PlatformProfile.IsAzure(sp)) is { } p ? [p] : []);
            services.AddSingleton<IObjectStore>(sp => new FileSystemObjectStore(Wati(sp).DataPath("files"),
                DataKeys.Resolve(sp.GetRequiredService<IOptions<StorageOptions>>().Value.SigningKey, SigningKeyKey, Wati(sp), "files-signing.key"),
                sp.GetRequiredService<IPublicBaseUrl>(), sp.GetRequiredService<TimeProvider>()));
            return services;
        }

        options.ValidateProblems((o, _) => o.S3.Problems());
        services.AddSingleton<IObjectStore>(sp =>
        {
            var s3 = sp.GetRequiredService<IOptions<StorageOptions>>().Value.S3;
            return new S3ObjectStore(S3ObjectStore.CreateClient(s3), s3, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton<IReadinessCheck>(sp => new S3Readiness(sp.GetRequiredService<IObjectStore>()));
        return services;
    }

    private static WatiOptions Wati(IServiceProvider sp) => sp.GetRequiredService<IOptions<WatiOptions>>().Value;
}

/// <summary>The filesystem store's readiness: its folder can be written.</summary>
internal sealed class ObjectStoreReadiness(IObjectStore store) : IReadinessCheck
{
    public string Name => "objects";

    public async Task<string?> CheckAsync(CancellationToken ct) =>
        await store.IsReadyAsync(ct) ? null : "the filesystem object store cannot be written";
}

/// <summary>S3's readiness: <see cref="S3ObjectStore.ProbeAsync"/> (<c>HeadBucket</c>), naming the bucket when it fails.</summary>
internal sealed class S3Readiness(IObjectStore store) : IReadinessCheck
{
    public string Name => "objects";

    /// <summary>The store is resolved as the port, so a test's wrapper around it is probed too (its own readiness).</summary>
    public async Task<string?> CheckAsync(CancellationToken ct) => store switch
    {
        S3ObjectStore s3 => await s3.ProbeAsync(ct) is { } problem ? "the s3 object store: " + problem : null,
        _ => await store.IsReadyAsync(ct) ? null : "the s3 object store is not reachable: check Wati:Storage:S3:ServiceUrl, Bucket, AccessKey and SecretKey",
    };
}
