using System.Text.Json.Serialization;

// The baseline of bench/run: a bare ASP.NET Core app answering a fixed small JSON body, with the
// same host defaults as the server (Information logging, Microsoft.AspNetCore at Warning), so the
// ratio against it is what the platform adds.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, BareJson.Default));
var app = builder.Build();
var body = new Balance("10", "0");
app.MapGet("/json", () => Results.Json(body, BareJson.Default.Balance));
app.MapGet("/healthz", () => Results.Json(new Balance("ok", "0"), BareJson.Default.Balance));
app.Run();

/// <summary>The fixed body, shaped like <c>GET /v1/credits</c>' data.</summary>
internal sealed record Balance(string balance, string reserved);

[JsonSerializable(typeof(Balance))]
internal sealed partial class BareJson : JsonSerializerContext;
