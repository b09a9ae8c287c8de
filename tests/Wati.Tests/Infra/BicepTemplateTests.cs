using System.Text.Json;
using System.Text.RegularExpressions;
using Wati.Platform.Common;
using Wati.Platform.Jobs;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Models;

namespace Wati.Tests.Infra;

/// <summary>
/// Reads the ARM JSON that <c>infra/build.sh</c> compiles from <c>infra/main.bicep</c> (the test run builds
/// it before the tests) and checks what the app needs from it: every setting the azure profile requires at
/// start, identity-based connections, the queues the functions listen on, and exactly the four roles.
/// </summary>
public sealed partial class BicepTemplateTests
{
    // Built-in role definition ids (the same in every tenant).
    private static readonly Dictionary<string, string> ExpectedRoles = new()
    {
        ["0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"] = "Storage Table Data Contributor",
        ["974c5e8b-45b9-4653-ba55-5f855dd0fb88"] = "Storage Queue Data Contributor",
        ["b7e6dc6d-f1e8-4753-8033-0f276bb0955b"] = "Storage Blob Data Owner",
        ["4633458b-17de-408a-b874-0445c86b69e6"] = "Key Vault Secrets User",
    };

    private static readonly string[] SecretKeys =
        ["Wati:Auth:SigningKey", "Wati:Storage:S3:AccessKey", "Wati:Storage:S3:SecretKey", "Wati:Models:Replicate:Token"];

    private static readonly Lazy<JsonElement> Template = new(Load);

    private static JsonElement Load()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "WatiAigc.sln")))
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root (WatiAigc.sln) not found");
        var json = Path.Combine(root, "artifacts", "infra", "main.json");
        Assert.True(File.Exists(json), $"{json} is missing: run infra/build.sh (./test.sh does) before these tests");
        foreach (var source in Directory.GetFiles(Path.Combine(root, "infra"), "*.bicep*"))
            Assert.True(File.GetLastWriteTimeUtc(source) <= File.GetLastWriteTimeUtc(json),
                $"{source} is newer than {json}: run infra/build.sh again");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        return doc.RootElement.Clone();
    }

    private static IEnumerable<JsonElement> Resources(string type) =>
        Template.Value.GetProperty("resources").EnumerateArray().Where(r => r.GetProperty("type").GetString() == type);

    private static JsonElement Single(string type) => Assert.Single(Resources(type));

    private static Dictionary<string, string> AppSettings()
    {
        var config = Assert.Single(Resources("Microsoft.Web/sites/config"),
            r => r.GetProperty("name").GetString()!.Contains("'appsettings'", StringComparison.Ordinal));
        return config.GetProperty("properties").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
    }

    private static string AppSettingName(string configurationKey) => configurationKey.Replace(":", "__", StringComparison.Ordinal);

    private static JsonElement Variable(string name) => Template.Value.GetProperty("variables").GetProperty(name);

    [Fact]
    public void App_settings_set_every_key_the_azure_profile_requires_at_start()
    {
        var settings = AppSettings();

        var missing = AzureProfileSettings.RequiredAtStart.Where(k => !settings.TryGetValue(AppSettingName(k), out var v) || string.IsNullOrWhiteSpace(v));

        Assert.Empty(missing);
        Assert.Equal("azure", settings["Wati__Profile"]);
        Assert.Equal("azure", settings["Wati__Tables__Provider"]);
        Assert.Equal("storage", settings["Wati__Queue__Provider"]);
        Assert.Equal("s3", settings["Wati__Storage__Provider"]);
        Assert.Equal("replicate", settings["Wati__Models__Provider"]);
    }

    [Fact]
    public void Secrets_are_key_vault_references_to_the_vaults_secrets()
    {
        var settings = AppSettings();
        var vaultSecrets = Resources("Microsoft.KeyVault/vaults/secrets").Select(r => r.GetProperty("name").GetString()!).ToList();

        foreach (var key in SecretKeys)
        {
            var value = settings[AppSettingName(key)];
            Assert.StartsWith("[format('@Microsoft.KeyVault(SecretUri={0})', reference(resourceId('Microsoft.KeyVault/vaults/secrets'", value);
            Assert.EndsWith(".secretUri)]", value);
            var secret = SecretName().Match(value).Groups["secret"].Value;
            Assert.Contains(vaultSecrets, name => name.Contains($"'{secret}')]", StringComparison.Ordinal));
        }
        Assert.Equal(SecretKeys.Length, vaultSecrets.Count);
        Assert.Equal(IdentityResourceId(), Single("Microsoft.Web/sites").GetProperty("properties").GetProperty("keyVaultReferenceIdentity").GetString());
        Assert.True(Single("Microsoft.KeyVault/vaults").GetProperty("properties").GetProperty("enableRbacAuthorization").GetBoolean());
    }

    /// <summary>The user-assigned identity's resource id as ARM writes it: <c>[resourceId('...', name)]</c>.</summary>
    private static string IdentityResourceId()
    {
        var name = Single("Microsoft.ManagedIdentity/userAssignedIdentities").GetProperty("name").GetString()!;
        return $"[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', {name[1..^1]})]";
    }

    /// <summary>An expression reading <paramref name="property"/> of the identity (<c>clientId</c>, <c>principalId</c>).</summary>
    private static string IdentityProperty(string property)
    {
        var apiVersion = Single("Microsoft.ManagedIdentity/userAssignedIdentities").GetProperty("apiVersion").GetString();
        return $"[reference({IdentityResourceId()[1..^1]}, '{apiVersion}').{property}]";
    }

    [Fact]
    public void Connections_use_the_user_assigned_identity_and_no_keys()
    {
        var settings = AppSettings();
        var clientId = IdentityProperty("clientId");
        var storageName = Single("Microsoft.Storage/storageAccounts").GetProperty("name").GetString();

        Assert.Equal(storageName, settings["AzureWebJobsStorage__accountName"]);
        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]);
        Assert.Equal(clientId, settings["AzureWebJobsStorage__clientId"]);
        Assert.Equal(clientId, settings["AZURE_CLIENT_ID"]);
        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys);
        Assert.DoesNotContain(settings.Keys, k => k.EndsWith("ConnectionString", StringComparison.Ordinal) && k.StartsWith("Wati__", StringComparison.Ordinal));
        Assert.DoesNotContain(settings.Values, v => v.Contains("listKeys(", StringComparison.Ordinal) || v.Contains("AccountKey", StringComparison.Ordinal));
        Assert.False(Single("Microsoft.Storage/storageAccounts").GetProperty("properties").GetProperty("allowSharedKeyAccess").GetBoolean());

        var site = Single("Microsoft.Web/sites");
        Assert.Equal("UserAssigned", site.GetProperty("identity").GetProperty("type").GetString());
        var deployment = site.GetProperty("properties").GetProperty("functionAppConfig").GetProperty("deployment").GetProperty("storage");
        Assert.Equal("UserAssignedIdentity", deployment.GetProperty("authentication").GetProperty("type").GetString());
        Assert.Equal(IdentityResourceId(), deployment.GetProperty("authentication").GetProperty("userAssignedIdentityResourceId").GetString());
    }

    [Fact]
    public void Function_app_runs_the_dotnet_10_isolated_worker_on_flex_consumption()
    {
        var runtime = Single("Microsoft.Web/sites").GetProperty("properties").GetProperty("functionAppConfig").GetProperty("runtime");
        var plan = Single("Microsoft.Web/serverfarms").GetProperty("sku");

        Assert.Equal("dotnet-isolated", runtime.GetProperty("name").GetString());
        Assert.Equal("10.0", runtime.GetProperty("version").GetString());
        Assert.Equal("FlexConsumption", plan.GetProperty("tier").GetString());
        Assert.Equal("FC1", plan.GetProperty("name").GetString());
        // Flex Consumption rejects these as app settings (the runtime comes from functionAppConfig).
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", AppSettings().Keys);
        Assert.DoesNotContain("FUNCTIONS_EXTENSION_VERSION", AppSettings().Keys);
    }

    /// <summary>
    /// Issue 17: the template created only the model queues, not <c>batches</c> and <c>webhooks</c>. The
    /// expected list is derived, not written out: every queue a trigger of the built functions.metadata
    /// listens on, every queue the polling host consumes, each one's poison queue, and the held dead
    /// letters' queue; so a new queue function fails this test until the template creates its queue.
    /// </summary>
    [Fact]
    public void Every_queue_a_function_listens_on_and_its_poison_queue_exist()
    {
        var queues = Single("Microsoft.Storage/storageAccounts/queueServices/queues");
        var loop = QueueLoop().Match(queues.GetProperty("name").GetString()!);
        Assert.True(loop.Success, "the queues resource is one loop over a variable of queue names");
        var variable = loop.Groups["variable"].Value;
        Assert.Equal($"[length(variables('{variable}'))]", queues.GetProperty("copy").GetProperty("count").GetString());

        var declared = Variable(variable).EnumerateArray().Select(q => q.GetString()!).ToList();
        var triggered = Wati.Tests.Functions.FunctionsApp.ReadOutputJson("functions.metadata").EnumerateArray()
            .SelectMany(f => f.GetProperty("bindings").EnumerateArray())
            .Where(b => b.GetProperty("type").GetString() == "queueTrigger")
            .Select(b => b.GetProperty("queueName").GetString()!)
            .ToList();
        var consumed = triggered.Where(q => !q.EndsWith(StorageJobQueue.PoisonSuffix, StringComparison.Ordinal)).Concat(QueueRegistration.ConsumedQueues);
        var expected = triggered.Concat(consumed).Concat(consumed.Select(q => q + StorageJobQueue.PoisonSuffix)).Append(StorageJobQueue.HeldQueue)
            .Distinct().Order();

        Assert.Equal(expected, declared.Order());
        Assert.Equal(declared.Count, declared.Distinct().Count());
        Assert.Contains("webhooks-poison", declared);
        Assert.Contains("batches", declared);
    }

    /// <summary>Flex Consumption refuses a maximum instance count below 40 in most regions (issue 17).</summary>
    [Fact]
    public void The_maximum_instance_count_cannot_go_below_forty()
    {
        var parameter = Template.Value.GetProperty("parameters").GetProperty("maximumInstanceCount");
        var scale = Single("Microsoft.Web/sites").GetProperty("properties").GetProperty("functionAppConfig").GetProperty("scaleAndConcurrency");

        Assert.True(parameter.GetProperty("minValue").GetInt32() >= 40);
        Assert.True(parameter.GetProperty("defaultValue").GetInt32() >= 40);
        Assert.True(parameter.GetProperty("maxValue").GetInt32() <= 1000);
        Assert.Equal("[parameters('maximumInstanceCount')]", scale.GetProperty("maximumInstanceCount").GetString());
    }

    /// <summary>
    /// The vault keeps its secrets through a mistaken delete (soft delete with purge protection), and its name
    /// can move when a soft-deleted vault still holds the old one: a hash of the resource group and a seed
    /// parameter, never a fixed text.
    /// </summary>
    [Fact]
    public void The_key_vault_has_purge_protection_and_a_name_a_redeploy_after_a_delete_can_change()
    {
        var vault = Single("Microsoft.KeyVault/vaults");
        var properties = vault.GetProperty("properties");
        var name = vault.GetProperty("name").GetString()!;

        Assert.True(properties.GetProperty("enableSoftDelete").GetBoolean());
        Assert.True(properties.GetProperty("enablePurgeProtection").GetBoolean());
        Assert.InRange(properties.GetProperty("softDeleteRetentionInDays").GetInt32(), 7, 90);
        Assert.Contains("uniqueString(resourceGroup().id", name, StringComparison.Ordinal);
        Assert.Contains("parameters('keyVaultNameSeed')", name, StringComparison.Ordinal);
        Assert.Equal("string", Template.Value.GetProperty("parameters").GetProperty("keyVaultNameSeed").GetProperty("type").GetString());
    }

    /// <summary>
    /// Azure/azure-functions-dotnet-worker#3335 (open, labelled .NET 10): on Flex Consumption the .NET 10
    /// isolated worker started from the placeholder host exits with SIGSEGV under normal load; the confirmed
    /// workaround is the app setting <c>WEBSITE_USE_PLACEHOLDER_DOTNETISOLATED=0</c>, and this app is exactly
    /// .NET 10 isolated on Flex Consumption.
    /// </summary>
    [Fact]
    public void The_dotnet_10_flex_placeholder_workaround_is_set()
    {
        Assert.Equal("10.0", Single("Microsoft.Web/sites").GetProperty("properties").GetProperty("functionAppConfig").GetProperty("runtime")
            .GetProperty("version").GetString());
        Assert.Equal("0", AppSettings()["WEBSITE_USE_PLACEHOLDER_DOTNETISOLATED"]);
    }

    [Fact]
    public void The_identity_holds_exactly_the_four_roles_it_needs()
    {
        var roles = Variable("roles");
        var assignments = Resources("Microsoft.Authorization/roleAssignments").ToList();

        var granted = assignments.Select(a =>
        {
            var definition = a.GetProperty("properties").GetProperty("roleDefinitionId").GetString()!;
            var role = RoleVariable().Match(definition);
            Assert.True(role.Success, definition);
            Assert.Equal(IdentityProperty("principalId"), a.GetProperty("properties").GetProperty("principalId").GetString());
            Assert.Equal("ServicePrincipal", a.GetProperty("properties").GetProperty("principalType").GetString());
            return roles.GetProperty(role.Groups["role"].Value).GetString()!;
        }).ToList();

        Assert.Equal(ExpectedRoles.Keys.Order(), granted.Order());
        var vaultScoped = assignments.Where(a => a.GetProperty("scope").GetString()!.StartsWith("[resourceId('Microsoft.KeyVault/vaults'", StringComparison.Ordinal));
        Assert.Equal("Key Vault Secrets User", ExpectedRoles[roles.GetProperty(RoleVariable().Match(Assert.Single(vaultScoped)
            .GetProperty("properties").GetProperty("roleDefinitionId").GetString()!).Groups["role"].Value).GetString()!]);
    }

    [GeneratedRegex(@"variables\('(?<variable>\w+)'\)\[copyIndex\(\)\]\)\]$")]
    private static partial Regex QueueLoop();

    [GeneratedRegex(@"^\[subscriptionResourceId\('Microsoft\.Authorization/roleDefinitions', variables\('roles'\)\.(?<role>\w+)\)\]$")]
    private static partial Regex RoleVariable();

    [GeneratedRegex(@"'Microsoft\.KeyVault/vaults/secrets', .*, '(?<secret>[a-z0-9-]+)'\), '\d{4}-\d{2}-\d{2}'\)\.secretUri\)\]$")]
    private static partial Regex SecretName();
}
