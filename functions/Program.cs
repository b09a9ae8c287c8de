using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Wati.Functions;

/// <summary>The worker's entry point (a named class: the tests also reference <c>server/</c>'s <c>Program</c>).</summary>
internal static class FunctionsProgram
{
    private static void Main(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        FunctionsComposition.Configure(builder);
        var host = builder.Build();
        // Every invalid setting in one message, before the host builds its hosted services (whose options
        // would otherwise throw one class at a time).
        host.Services.GetService<IStartupValidator>()?.Validate();
        host.Run();
    }
}
