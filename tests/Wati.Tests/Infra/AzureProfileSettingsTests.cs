using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wati.Platform;
using Wati.Platform.Common;

namespace Wati.Tests.Infra;

/// <summary>
/// <see cref="AzureProfileSettings.RequiredAtStart"/> is exactly what the azure profile's start-up
/// validation requires: with every key set it passes, and without any one of them it fails naming that
/// key. (The Bicep test then holds the app settings to the same list.)
/// </summary>
public sealed class AzureProfileSettingsTests
{
    private static Dictionary<string, string?> EveryRequiredKey() => new()
    {
        ["Wati:Profile"] = "azure",
        ["Wati:PublicBaseUrl"] = "https://api.example.test",
        ["Wati:Auth:SigningKey"] = new string('k', 40),
        ["Wati:Tables:Endpoint"] = "https://account.table.core.windows.net/",
        ["Wati:Queue:Storage:Endpoint"] = "https://account.queue.core.windows.net/",
        ["Wati:Storage:S3:ServiceUrl"] = "https://account.r2.cloudflarestorage.com",
        ["Wati:Storage:S3:Bucket"] = "wati",
        ["Wati:Storage:S3:AccessKey"] = "access",
        ["Wati:Storage:S3:SecretKey"] = "secret",
        ["Wati:Models:Replicate:Token"] = "r8_token",
    };

    /// <summary>Runs the start-up validation of the shared composition (every <c>ValidateOnStart</c> options class) without starting a host.</summary>
    private static void ValidateAtStart(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddWatiPlatform(configuration);
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
    }

    [Fact]
    public void The_list_is_the_keys_these_tests_set()
    {
        Assert.Equal(EveryRequiredKey().Keys.Where(k => k != PlatformProfile.Key).Order(), AzureProfileSettings.RequiredAtStart.Order());
    }

    [Fact]
    public void Azure_profile_passes_start_up_validation_with_the_listed_keys_only()
    {
        var e = Record.Exception(() => ValidateAtStart(EveryRequiredKey()));

        Assert.Null(e);
    }

    public static TheoryData<string> RequiredKeys() => [.. AzureProfileSettings.RequiredAtStart];

    [Theory]
    [MemberData(nameof(RequiredKeys))]
    public void Azure_profile_fails_start_up_validation_naming_each_missing_key(string key)
    {
        var settings = EveryRequiredKey();
        settings.Remove(key);

        var e = Assert.ThrowsAny<Exception>(() => ValidateAtStart(settings));

        Assert.Contains(key, Messages(e));
    }

    private static string Messages(Exception e) => e switch
    {
        AggregateException a => string.Join("\n", a.InnerExceptions.Select(Messages)),
        OptionsValidationException o => string.Join("\n", o.Failures),
        _ => e.Message + (e.InnerException is { } inner ? "\n" + Messages(inner) : ""),
    };
}
