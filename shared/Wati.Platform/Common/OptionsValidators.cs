using Microsoft.Extensions.Options;
using Wati.Platform.Auth;
using Wati.Platform.Batches;
using Wati.Platform.Credits;
using Wati.Platform.Jobs;
using Wati.Platform.Uploads;
using Wati.Platform.Webhooks;

namespace Wati.Platform.Common;

// Source-generated checks of each options class's validation attributes ([Required], [Range]), the same
// attributes and messages ValidateDataAnnotations applies, without its reflection over every property at
// start-up (measured in docs/decisions/0010). Registered by OptionsRegistration.AddWatiOptions<T, TValidator>.
// Classes without attributes (BootstrapOptions, TablesOptions, StorageOptions, QueueOptions) have none:
// the generator refuses them; they are bound with OptionsRegistration.AddWatiOptionsWithoutAttributes<T>.

[OptionsValidator] internal sealed partial class WatiOptionsValidator : IValidateOptions<WatiOptions>;
[OptionsValidator] internal sealed partial class AuthOptionsValidator : IValidateOptions<AuthOptions>;
[OptionsValidator] internal sealed partial class CreditsOptionsValidator : IValidateOptions<CreditsOptions>;
[OptionsValidator] internal sealed partial class UploadOptionsValidator : IValidateOptions<UploadOptions>;
[OptionsValidator] internal sealed partial class JobsOptionsValidator : IValidateOptions<JobsOptions>;
[OptionsValidator] internal sealed partial class ModelsOptionsValidator : IValidateOptions<ModelsOptions>;
[OptionsValidator] internal sealed partial class BatchesOptionsValidator : IValidateOptions<BatchesOptions>;
[OptionsValidator] internal sealed partial class WebhooksOptionsValidator : IValidateOptions<WebhooksOptions>;
[OptionsValidator] internal sealed partial class MetricsOptionsValidator : IValidateOptions<Metrics.MetricsOptions>;
[OptionsValidator] internal sealed partial class HealthOptionsValidator : IValidateOptions<Health.HealthOptions>;
