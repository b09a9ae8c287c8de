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
    /// <summary>The failures the platform's start-up validation reports for <paramref name="settings"/> (none: empty).</summary>
    internal static IReadOnlyList<string> StartUpFailures(Dictionary<string, string?> settings)
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

    /// <summary>
    /// The binder drops a price it cannot convert without a word, and a negative price used to start and then
    /// answer every paid call with a 500 (the new-user check of issue 18): each stops the start naming its key.
    /// </summary>
    [Theory]
    [InlineData("-1", "from 0 to")]
    [InlineData("abc", "whole number")]
    [InlineData("1.5", "whole number")]
    [InlineData("99999999999999999999", "whole number")]
    [InlineData("2000000000", "from 0 to")]
    public void A_price_that_is_not_a_whole_number_of_credits_stops_the_start_naming_its_key(string value, string said)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "wati-options-" + Guid.NewGuid().ToString("N"));
        try
        {
            var failures = StartUpFailures(Embedded("Wati:Credits:Prices:gfpgan", value, dataDir));

            Assert.Contains(failures, f => f.Contains("Wati:Credits:Prices:gfpgan", StringComparison.Ordinal) && f.Contains(said, StringComparison.Ordinal));
        }
        finally
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public void A_price_for_no_model_stops_the_start_and_a_valid_price_or_zero_does_not()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "wati-options-" + Guid.NewGuid().ToString("N"));
        try
        {
            Assert.Contains(StartUpFailures(Embedded("Wati:Credits:Prices:gfpgam", "3", dataDir)),
                f => f.Contains("Wati:Credits:Prices:gfpgam names no model", StringComparison.Ordinal));
            Assert.Empty(StartUpFailures(Embedded("Wati:Credits:Prices:gfpgan", "0", dataDir)));
            Assert.Empty(StartUpFailures(Embedded("Wati:Credits:Prices:iclight", " 7 ", dataDir)));
        }
        finally
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
    }

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
