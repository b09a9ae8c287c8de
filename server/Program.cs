using Wati.Platform;
using Wati.Platform.Http;
using Wati.Server;

var builder = WebApplication.CreateBuilder(ServerHost.Options(args));
builder.WebHost.UseWatiDefaults();
builder.Services.AddWatiPlatform(builder.Configuration);
builder.Services.AddWatiServerHost();
builder.Services.AddWatiBrowserPolicy();

var app = builder.Build();
app.UseWatiBrowserPolicy();
app.UseWatiErrorEnvelope();
app.MapWatiRoutes();
return app.RunOrExplain();

/// <summary>Entry point; public so integration tests can host it with WebApplicationFactory.</summary>
public partial class Program;
