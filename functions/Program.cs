using Microsoft.Extensions.Hosting;
using Microsoft.Azure.Functions.Worker.Builder;
using Wati.Functions;

var builder = FunctionsApplication.CreateBuilder(args);
FunctionsComposition.Configure(builder);
builder.Build().Run();
