using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

namespace Wati.Functions;

/// <summary>The worker's entry point (a named class: the tests also reference <c>server/</c>'s <c>Program</c>).</summary>
internal static class FunctionsProgram
{
    private static void Main(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        FunctionsComposition.Configure(builder);
        builder.Build().Run();
    }
}
