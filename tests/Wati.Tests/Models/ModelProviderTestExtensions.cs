using Wati.Platform.Models;

namespace Wati.Tests.Models;

internal static class ModelProviderTestExtensions
{
    /// <summary>Runs the model and answers only its outputs, for tests about the images.</summary>
    public static async Task<IReadOnlyList<ModelOutput>> RunOutputsAsync(this IModelProvider provider, ModelRequest request) =>
        (await provider.RunAsync(request)).Outputs;
}
