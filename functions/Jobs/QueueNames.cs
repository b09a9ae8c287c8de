using Wati.Platform.Jobs;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Models;

namespace Wati.Functions.Jobs;

/// <summary>
/// The queues the triggers listen on, as constants (attribute arguments must be): each code model's
/// <c>jobs-{model}</c> (<see cref="Wati.Platform.Models.Catalog.ModelDefinition.Queue"/> of <see cref="Wati.Platform.Models.Catalog.ModelCatalog.Code"/>)
/// and the host's <c>{queue}-poison</c> (<see cref="StorageJobQueue.PoisonSuffix"/>).
/// The metadata test holds them to those rules.
/// </summary>
public static class QueueNames
{
    public const string Gfpgan = "jobs-" + ModelNames.Gfpgan;
    public const string ReplaceStyle = "jobs-" + ModelNames.ReplaceStyle;
    public const string ReplaceBackground = "jobs-" + ModelNames.ReplaceBackground;
    public const string IcLight = "jobs-" + ModelNames.IcLight;
    public const string PortraitVideo = "jobs-" + Wati.Platform.Models.PortraitVideo.ModelName;

    /// <summary>The queue shared by the models declared in settings (<see cref="Wati.Platform.Models.Catalog.ModelCatalog.SharedQueue"/>).</summary>
    public const string DeclaredModels = Wati.Platform.Models.Catalog.ModelCatalog.SharedQueue;

    public const string Poison = StorageJobQueue.PoisonSuffix;

    /// <summary>The batch feeder's queue (<see cref="Wati.Platform.Batches.BatchesService.Queue"/>).</summary>
    public const string Batches = Wati.Platform.Batches.BatchesService.Queue;

    /// <summary>The webhook sender's queue (<see cref="Wati.Platform.Webhooks.WebhookSender.Queue"/>).</summary>
    public const string Webhooks = Wati.Platform.Webhooks.WebhookSender.Queue;
}
