// The WATI AIGC platform on Azure: the Functions app (Flex Consumption, .NET 10 isolated worker) on the
// azure profile, with everything it reaches through one user-assigned managed identity and no keys:
//   - storage account: the platform's tables, every queue a function listens on with its poison queue
//     (the model job queues, batches, webhooks) and the held dead letters' queue, and the Functions
//     host's own storage (leases, the deployment package container);
//   - Key Vault: the JWT signing key, the R2 (S3) access and secret keys and the Replicate token,
//     read by the app settings as Key Vault references;
//   - Application Insights on a Log Analytics workspace.
// Deploy steps and what each parameter is: README.md, "Deploy to Azure". Built and linted by infra/build.sh.

targetScope = 'resourceGroup'

@description('Azure region of every resource; one where Flex Consumption is offered.')
param location string = resourceGroup().location

@description('Short prefix of the resource names (letters and digits); a hash of the resource group keeps global names unique.')
@minLength(2)
@maxLength(10)
param baseName string = 'wati'

@description('Absolute base URL of links in answers (Wati:PublicBaseUrl), e.g. https://api.example.com; empty = the function app\'s default host name.')
param publicBaseUrl string = ''

@description('S3 endpoint of the object store (Wati:Storage:S3:ServiceUrl); Cloudflare R2: https://<account-id>.r2.cloudflarestorage.com.')
param s3ServiceUrl string

@description('Bucket holding uploads and outputs (Wati:Storage:S3:Bucket).')
param s3Bucket string

@description('S3 signing region (Wati:Storage:S3:Region); R2: auto.')
param s3Region string = 'auto'

@description('JWT signing key (Wati:Auth:SigningKey): base64 of at least 32 random bytes (openssl rand -base64 48); the azure profile refuses anything else at start. Stored in Key Vault only.')
@secure()
param jwtSigningKey string

@description('R2 / S3 access key id (Wati:Storage:S3:AccessKey); stored in Key Vault only.')
@secure()
param s3AccessKey string

@description('R2 / S3 secret access key (Wati:Storage:S3:SecretKey); stored in Key Vault only.')
@secure()
param s3SecretKey string

@description('Replicate API token, r8_... (Wati:Models:Replicate:Token); stored in Key Vault only.')
@secure()
param replicateToken string

// Flex Consumption refuses a maximum below 40 in most regions (learn.microsoft.com, "Event-driven scaling",
// Flex Consumption: the lowest maximum instance count is 40, the highest 1000; lower values are a preview
// in a few regions only, Azure/azure-functions-host#10523), so the template does not offer one.
@description('Most instances Flex Consumption may scale the app out to (40 to 1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of each instance in MB (Flex Consumption sizes).')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Changes the Key Vault\'s name only. A deleted vault keeps its name for softDeleteRetentionInDays (purge protection forbids purging it), so after deleting the resource group either redeploy with a new seed (e.g. 2) or recover the old vault first (az keyvault recover) and redeploy unchanged.')
@maxLength(8)
param keyVaultNameSeed string = ''

var suffix = uniqueString(resourceGroup().id, baseName)
var functionAppName = '${baseName}-func-${suffix}'
var deploymentContainerName = 'app-package'

// Every queue a function listens on, each consumed queue's poison queue (the host creates one on first
// use, but the app's identity must not depend on that), and the held dead letters' queue:
// jobs-{model} of each code model and jobs-models, shared by the models declared in settings
// (ModelCatalog.Queues), batches, webhooks, {queue}-poison (StorageJobQueue.PoisonSuffix) and
// dead-letters (StorageJobQueue.HeldQueue). tests/Wati.Tests/Infra derives the same list from the built
// functions.metadata and the shared queue names, so a new queue cannot be forgotten here.
var queueNames = [
  'jobs-gfpgan'
  'jobs-gfpgan-poison'
  'jobs-replace-style'
  'jobs-replace-style-poison'
  'jobs-replace-background'
  'jobs-replace-background-poison'
  'jobs-iclight'
  'jobs-iclight-poison'
  'jobs-portrait-video'
  'jobs-portrait-video-poison'
  'jobs-models'
  'jobs-models-poison'
  'batches'
  'batches-poison'
  'webhooks'
  'webhooks-poison'
  'dead-letters'
]

// Built-in role definitions (ids are the same in every tenant).
var roles = {
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
}

// ---- Identity -------------------------------------------------------------------------------------

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: '${baseName}-id-${suffix}'
  location: location
}

// ---- Storage: tables, job queues, the host's storage ------------------------------------------------

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: take('${baseName}st${suffix}', 24)
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    // Identity only: no account keys, so no connection string can reach it.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-01-01' = [
  for name in queueNames: {
    parent: queueService
    name: name
  }
]

// The platform creates its tables at start (TableNames.All) where missing.
resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

// ---- Monitoring -----------------------------------------------------------------------------------

resource logs 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: '${baseName}-logs-${suffix}'
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${baseName}-appi-${suffix}'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
  }
}

// ---- Key Vault and its secrets --------------------------------------------------------------------

// Soft delete keeps a deleted vault (and its name) for 30 days; purge protection stops anyone purging it
// early, so secrets cannot be destroyed for good by one call. The name is a hash of the resource group,
// the base name (and keyVaultNameSeed when set): the same on every redeploy (the vault is updated in place),
// and a new seed gives a new name when the old one is still held by a soft-deleted vault.
resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: take('${baseName}-kv-${empty(keyVaultNameSeed) ? suffix : uniqueString(resourceGroup().id, baseName, keyVaultNameSeed)}', 24)
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 30
    enablePurgeProtection: true
  }
}

resource jwtSigningKeySecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 'jwt-signing-key'
  properties: {
    value: jwtSigningKey
  }
}

resource s3AccessKeySecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 's3-access-key'
  properties: {
    value: s3AccessKey
  }
}

resource s3SecretKeySecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 's3-secret-key'
  properties: {
    value: s3SecretKey
  }
}

resource replicateTokenSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 'replicate-token'
  properties: {
    value: replicateToken
  }
}

// ---- The identity's roles: exactly these four ------------------------------------------------------

resource tableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource queueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The Functions host keeps its leases and the deployment package in blobs.
resource blobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---- The function app -----------------------------------------------------------------------------

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: '${baseName}-plan-${suffix}'
  location: location
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' = {
  name: functionAppName
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references are resolved with the user-assigned identity (there is no system one).
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
  dependsOn: [
    deploymentContainer
    blobDataOwner
  ]
}

// App settings as their own resource so Wati__PublicBaseUrl can default to the app's host name. Flex
// Consumption takes the worker runtime from functionAppConfig: FUNCTIONS_WORKER_RUNTIME and
// FUNCTIONS_EXTENSION_VERSION are not app settings there. Every Wati__* key the azure profile requires
// at start (shared/Wati.Platform/Common/AzureProfileSettings.cs) is set; tests/Wati.Tests/Infra checks it.
resource appSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: {
    // The host's own storage (leases, timers, the queue triggers' connection) through the identity.
    AzureWebJobsStorage__accountName: storage.name
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identity.properties.clientId
    // The platform signs in with DefaultAzureCredential, which picks the user-assigned identity by this.
    AZURE_CLIENT_ID: identity.properties.clientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString

    // .NET 10 isolated on Flex Consumption: the worker started from the placeholder (pre-warmed) host
    // crashes with SIGSEGV (exit 139) under normal load; turning the placeholder off is the workaround
    // reported and confirmed in Azure/azure-functions-dotnet-worker#3335 (open, labelled .NET 10).
    WEBSITE_USE_PLACEHOLDER_DOTNETISOLATED: '0'

    Wati__Profile: 'azure'
    Wati__PublicBaseUrl: empty(publicBaseUrl) ? 'https://${functionApp.properties.defaultHostName}' : publicBaseUrl
    Wati__Auth__SigningKey: '@Microsoft.KeyVault(SecretUri=${jwtSigningKeySecret.properties.secretUri})'
    Wati__Tables__Provider: 'azure'
    Wati__Tables__Endpoint: storage.properties.primaryEndpoints.table
    Wati__Queue__Provider: 'storage'
    Wati__Queue__Storage__Endpoint: storage.properties.primaryEndpoints.queue
    Wati__Storage__Provider: 's3'
    Wati__Storage__S3__ServiceUrl: s3ServiceUrl
    Wati__Storage__S3__Region: s3Region
    Wati__Storage__S3__Bucket: s3Bucket
    Wati__Storage__S3__ForcePathStyle: 'true'
    Wati__Storage__S3__AccessKey: '@Microsoft.KeyVault(SecretUri=${s3AccessKeySecret.properties.secretUri})'
    Wati__Storage__S3__SecretKey: '@Microsoft.KeyVault(SecretUri=${s3SecretKeySecret.properties.secretUri})'
    Wati__Models__Provider: 'replicate'
    Wati__Models__Replicate__Token: '@Microsoft.KeyVault(SecretUri=${replicateTokenSecret.properties.secretUri})'
  }
  dependsOn: [
    tableDataContributor
    queueDataContributor
    secretsUser
    queues
    tableService
  ]
}

output functionAppName string = functionApp.name
output functionAppUrl string = 'https://${functionApp.properties.defaultHostName}'
output storageAccountName string = storage.name
output keyVaultName string = vault.name
output identityClientId string = identity.properties.clientId
