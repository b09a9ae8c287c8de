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
        ["Wati:Auth:SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
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

    [Fact]
    public void Azure_profile_reports_every_missing_setting_in_one_message()
    {
        var e = Assert.ThrowsAny<Exception>(() => ValidateAtStart(new Dictionary<string, string?> { [PlatformProfile.Key] = "azure" }));

        // One exception whose own message lists every problem, not an aggregate of one exception per section.
        var one = Assert.IsType<OptionsValidationException>(e);
        foreach (var key in AzureProfileSettings.RequiredAtStart) Assert.Contains(key, one.Message);
    }

    [Theory]
    [InlineData("a text key that is long enough to be 32 bytes")]
    [InlineData("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==")] // base64 of 31 bytes
    public void Azure_profile_refuses_a_signing_key_that_is_not_base64_of_32_bytes(string signingKey)
    {
        var settings = EveryRequiredKey();
        settings["Wati:Auth:SigningKey"] = signingKey;

        var e = Assert.ThrowsAny<Exception>(() => ValidateAtStart(settings));

        Assert.Contains("Wati:Auth:SigningKey must be base64 of at least 32 bytes in the azure profile", Messages(e));
        Assert.DoesNotContain(signingKey, Messages(e));
    }

    public static TheoryData<string, string> KeyVaultReferenced() => new()
    {
        { "azure", "Wati:Auth:SigningKey" },
        { "azure", "Wati:Storage:S3:SecretKey" },
        { "azure", "Wati:Models:Replicate:Token" },
        { "azure", "Some:Other:Setting" },
        { "embedded", "Wati:Auth:SigningKey" },
    };

    [Theory]
    [MemberData(nameof(KeyVaultReferenced))]
    public void An_unresolved_Key_Vault_reference_is_refused_naming_the_key_never_the_value(string profile, string key)
    {
        const string Reference = "@Microsoft.KeyVault(SecretUri=https://wati-kv-abc123.vault.azure.net/secrets/jwt-signing-key/)";
        var settings = profile == "azure" ? EveryRequiredKey() : new Dictionary<string, string?>
        {
            ["Wati:DataDir"] = Path.Combine(Path.GetTempPath(), "wati-kv-" + Guid.NewGuid().ToString("N")),
        };
        settings[key] = Reference;

        var e = Assert.ThrowsAny<Exception>(() => ValidateAtStart(settings));

        Assert.Contains($"{key} holds an unresolved Key Vault reference", Messages(e));
        Assert.DoesNotContain("wati-kv-abc123", Messages(e));
    }

    [Fact]
    public void A_Key_Vault_reference_never_becomes_a_signing_key_even_outside_start_up_validation()
    {
        var wati = new WatiOptions { DataDir = Path.Combine(Path.GetTempPath(), "wati-kv-" + Guid.NewGuid().ToString("N")) };

        var e = Assert.Throws<InvalidOperationException>(() =>
            DataKeys.Resolve("@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/k/)", "Wati:Auth:SigningKey", wati, "jwt-signing.key"));

        Assert.Contains("Wati:Auth:SigningKey holds an unresolved Key Vault reference", e.Message);
    }

    private static string Messages(Exception e) => e switch
    {
        AggregateException a => string.Join("\n", a.InnerExceptions.Select(Messages)),
        OptionsValidationException o => string.Join("\n", o.Failures),
        _ => e.Message + (e.InnerException is { } inner ? "\n" + Messages(inner) : ""),
    };
}
