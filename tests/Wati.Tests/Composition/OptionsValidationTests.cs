using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wati.Platform;

namespace Wati.Tests.Composition;

/// <summary>
/// The options' validation attributes ([Range], [Required]) are checked at start by the source-generated
/// validators (Common/OptionsValidators.cs) as they were by data annotations: a value out of range stops
/// the start, and the failure names the property.
/// </summary>
public sealed class OptionsValidationTests
{
    private static IReadOnlyList<string> StartUpFailures(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddWatiPlatform(configuration);
        using var provider = services.BuildServiceProvider();
        var e = Record.Exception(() => provider.GetRequiredService<IStartupValidator>().Validate());
        return e switch
        {
            null => [],
            OptionsValidationException o => [.. o.Failures],
            AggregateException a => [.. a.InnerExceptions.OfType<OptionsValidationException>().SelectMany(o => o.Failures)],
            _ => throw e,
        };
    }

    private static Dictionary<string, string?> Embedded(string key, string value, string dataDir) =>
        new() { ["Wati:DataDir"] = dataDir, [key] = value };

    [Theory]
    [InlineData("Wati:Jobs:MaxAttempts", "0", "MaxAttempts")]
    [InlineData("Wati:Credits:SignupBonus", "-1", "SignupBonus")]
    [InlineData("Wati:Uploads:MaxFilesPerCall", "101", "MaxFilesPerCall")]
    [InlineData("Wati:Auth:MinPasswordLength", "7", "MinPasswordLength")]
    [InlineData("Wati:Models:MaxRetries", "11", "MaxRetries")]
    [InlineData("Wati:Batches:MaxItems", "0", "MaxItems")]
    [InlineData("Wati:Webhooks:MaxAttempts", "31", "MaxAttempts")]
    [InlineData("Wati:Auth:Issuer", "", "Issuer")]
    public void A_value_its_attribute_refuses_stops_the_start_naming_the_property(string key, string value, string property)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "wati-options-" + Guid.NewGuid().ToString("N"));
        try
        {
            var failures = StartUpFailures(Embedded(key, value, dataDir));

            Assert.Contains(failures, f => f.Contains(property, StringComparison.Ordinal));
        }
        finally
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public void The_defaults_pass()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "wati-options-" + Guid.NewGuid().ToString("N"));
        try
        {
            Assert.Empty(StartUpFailures(new Dictionary<string, string?> { ["Wati:DataDir"] = dataDir }));
        }
        finally
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
    }
}
