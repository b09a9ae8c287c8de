using Wati.Platform;
using Wati.Server;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseWatiDefaults();
builder.Services.AddWatiPlatform(builder.Configuration);
builder.Services.AddWatiServerHost();

var app = builder.Build();
app.UseWatiErrorEnvelope();
app.MapWatiRoutes();
app.Run();

/// <summary>Entry point; public so integration tests can host it with WebApplicationFactory.</summary>
public partial class Program;
