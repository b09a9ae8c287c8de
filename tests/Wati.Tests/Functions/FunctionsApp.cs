using System.Reflection;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Wati.Functions;

namespace Wati.Tests.Functions;

/// <summary>Where the functions app's build output is, and its worker host built from the composition Program.cs uses.</summary>
internal static class FunctionsApp
{
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>
    /// Settings of the azure profile on the test run's emulators (Azurite tables through the strict layer, a new
    /// s3rver bucket), a fresh signing key, data in <paramref name="dataDir"/>, local models; the queues are the
    /// caller's to choose (<c>AzureWebJobsStorage</c>).
    /// </summary>
    public static async Task<Dictionary<string, string?>> AzureProfileOnEmulatorsAsync(string dataDir)
    {
        var settings = Wati.Tests.Composition.AdapterSelectionTests.OnEmulators(await Wati.Tests.Composition.AdapterSelectionTests.NewBucketAsync());
        settings.Remove("Wati:Tables:Provider");
        settings.Remove("Wati:Storage:Provider");
        settings["Wati:Profile"] = "azure";
        settings["Wati:DataDir"] = dataDir;
        settings["Wati:Auth:SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        settings["Wati:PublicBaseUrl"] = "http://localhost:7071";
        settings["Wati:Models:Provider"] = "local";
        return settings;
    }

    /// <summary>The functions project's own output folder, in the configuration these tests were built with.</summary>
    public static string OutputDir
    {
        get
        {
            var configuration = typeof(FunctionsApp).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
            return Path.Combine(RepoRoot, "functions", "bin", configuration, "net10.0");
        }
    }

    public static JsonElement ReadOutputJson(string file)
    {
        var path = Path.Combine(OutputDir, file);
        Assert.True(File.Exists(path), $"{path} is missing: the functions project's build writes it");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();
    }

    /// <summary>The worker's host, composed by <see cref="FunctionsComposition.Configure"/> over <paramref name="settings"/>, not started.</summary>
    /// <param name="replace">Test doubles registered after the composition (a scripted model provider).</param>
    public static IHost Build(IDictionary<string, string?> settings, Action<IServiceCollection>? replace = null)
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(settings);
        FunctionsComposition.Configure(builder);
        replace?.Invoke(builder.Services);
        return builder.Build();
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WatiAigc.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("WatiAigc.sln not found above " + AppContext.BaseDirectory);
    }
}
