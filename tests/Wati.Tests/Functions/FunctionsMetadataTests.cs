using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Hosting;
using Wati.Platform.Http;
using Wati.Platform.Jobs;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Models.Catalog;

namespace Wati.Tests.Functions;

/// <summary>
/// The functions the Functions host would index, read from the <c>functions.metadata</c> the worker SDK
/// wrote at build time: exactly the shared route table (but /files), the model queues, their poison
/// queues and the timers; nothing else.
/// </summary>
public sealed class FunctionsMetadataTests
{
    private const string CatchAll = "NoRoute";
    private static readonly string[] Timers = ["SweepLostJobs", "PublishMetrics", "SweepBatches", "SweepUploads"];

    /// <summary>The batch feeder's and the webhook sender's queues (issue 12), each with its poison queue (issue 18: webhooks had none).</summary>
    private static readonly string[] OtherQueues =
        [Wati.Platform.Batches.BatchesService.Queue, Wati.Platform.Batches.BatchesService.Queue + StorageJobQueue.PoisonSuffix,
         Wati.Platform.Webhooks.WebhookSender.Queue, Wati.Platform.Webhooks.WebhookSender.Queue + StorageJobQueue.PoisonSuffix];

    private static readonly IReadOnlyList<RouteDef> Served = RouteTable.All.Where(r => !r.Template.StartsWith("files/", StringComparison.Ordinal)).ToList();

    private sealed record Trigger(string Function, string Type, JsonElement Binding);

    private static IReadOnlyList<Trigger> Triggers() =>
        FunctionsApp.ReadOutputJson("functions.metadata").EnumerateArray()
            .Select(f => (Name: f.GetProperty("name").GetString()!, Bindings: f.GetProperty("bindings").EnumerateArray().ToList()))
            .Select(f => f.Bindings.Where(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal)).ToList() switch
            {
                [var only] => new Trigger(f.Name, only.GetProperty("type").GetString()!, only),
                var many => throw new Xunit.Sdk.XunitException($"{f.Name} has {many.Count} triggers"),
            })
            .ToList();

    private static string[] Methods(JsonElement binding) =>
        binding.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToUpperInvariant()).Order().ToArray();

    [Fact]
    public void Every_served_route_has_exactly_one_http_function_with_its_method_and_route()
    {
        var http = Triggers().Where(t => t.Type == "httpTrigger" && t.Function != CatchAll).ToList();

        foreach (var route in Served)
        {
            var matching = http.Where(t => t.Binding.GetProperty("route").GetString() == route.Template && Methods(t.Binding).Contains(route.Method)).ToList();
            var only = Assert.Single(matching);
            Assert.Equal(route.Name, only.Function);
            Assert.Equal([route.Method], Methods(only.Binding));
            Assert.Equal("Anonymous", only.Binding.GetProperty("authLevel").GetString());
        }
        Assert.Equal(Served.Count, http.Count);
        Assert.Contains(RouteTable.All, r => r.Template.StartsWith("files/", StringComparison.Ordinal)); // the one left out exists
    }

    [Fact]
    public void Each_model_queue_and_its_poison_queue_has_exactly_one_queue_function_on_the_adapters_queue()
    {
        var queues = Triggers().Where(t => t.Type == "queueTrigger").ToList();
        var expected = ModelCatalog.Queues.SelectMany(q => new[] { q, q + StorageJobQueue.PoisonSuffix })
            .Concat(OtherQueues).Order().ToArray();

        Assert.Equal(expected, queues.Select(t => t.Binding.GetProperty("queueName").GetString()!).Order().ToArray());
        Assert.All(queues, t => Assert.Equal("AzureWebJobsStorage", t.Binding.GetProperty("connection").GetString()));
        Assert.All(queues, t => Assert.Equal("String", t.Binding.GetProperty("dataType").GetString()));
    }

    [Fact]
    public void The_timers_exist_and_there_is_no_stray_function()
    {
        var triggers = Triggers();
        var timers = triggers.Where(t => t.Type == "timerTrigger").ToList();

        Assert.Equal(Timers.Order(), timers.Select(t => t.Function).Order());
        Assert.Equal("*/30 * * * * *", timers.Single(t => t.Function == "SweepLostJobs").Binding.GetProperty("schedule").GetString());
        var catchAll = Assert.Single(triggers, t => t.Function == CatchAll);
        Assert.Equal("{*path}", catchAll.Binding.GetProperty("route").GetString());
        Assert.Equal(Served.Count + 1 + 2 * ModelCatalog.Queues.Count + OtherQueues.Length + Timers.Length, triggers.Count);
        Assert.Equal(triggers.Count, triggers.Select(t => t.Function).Distinct().Count());
    }

    /// <summary>
    /// A parameter route must not take a literal one's requests (<c>v1/jobs/{id}</c> against
    /// <c>v1/admin/jobs/stuck</c> and the like), and the catch-all must take only what no route has. The
    /// function table is mapped on ASP.NET Core routing, whose precedence rules the Functions host uses,
    /// and every route is called with its method and with one it lacks.
    /// </summary>
    [Fact]
    public async Task Every_route_reaches_its_own_function_through_the_function_table()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        await using var app = builder.Build();
        foreach (var t in Triggers().Where(t => t.Type == "httpTrigger"))
        {
            var name = t.Function;
            app.MapMethods("/" + t.Binding.GetProperty("route").GetString(), Methods(t.Binding), () => Results.Text(name));
        }
        await app.StartAsync();
        using var client = app.GetTestClient();

        foreach (var route in Served)
        {
            var path = "/" + string.Join('/', route.Template.Split('/').Select(s => s.StartsWith('{') ? "sample-value" : s));
            Assert.Equal(route.Name, await FunctionOf(route.Method, path));
            Assert.Equal(CatchAll, await FunctionOf("PUT", path));
        }
        Assert.Equal(CatchAll, await FunctionOf("GET", "/files/some/key"));
        Assert.Equal(CatchAll, await FunctionOf("GET", "/v1/no/such/route"));
        Assert.Equal(CatchAll, await FunctionOf("OPTIONS", "/v1/gfpgan"));

        async Task<string> FunctionOf(string method, string path)
        {
            using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            return await response.Content.ReadAsStringAsync();
        }
    }

    /// <summary>
    /// Issue 17: the catch-all must never shadow a literal route under the order the Functions host itself
    /// uses, which is not ASP.NET Core endpoint routing. The host (Azure/azure-functions-host,
    /// <c>WebScriptHostHttpRoutesManager.InitializeHttpFunctionRoutes</c>) maps every HTTP function with the
    /// HTTP extension's <c>WebJobsRouteBuilder</c>, whose <c>Build()</c> sorts the routes and puts them in a
    /// <c>RouteCollection</c>, which tries them in that order (a route whose method constraint fails lets the
    /// next one try). The sort compares templates segment by segment: a literal segment before a parameter,
    /// between parameters the one with more inline constraints first, literals by ordinal-ignore-case text,
    /// and a longer template before its prefix. <see cref="HostOrder"/> restates that rule; the catch-all,
    /// whose only segment is an unconstrained parameter, must sort strictly after every route (no tie left
    /// to the unstable sort), and each route's requests must reach its own function first.
    /// </summary>
    [Fact]
    public void Under_the_functions_hosts_route_order_the_catch_all_is_last_and_every_route_reaches_its_own_function()
    {
        var routes = Triggers().Where(t => t.Type == "httpTrigger")
            .Select(t => (t.Function, Template: Microsoft.AspNetCore.Routing.Template.TemplateParser.Parse(t.Binding.GetProperty("route").GetString()!),
                Methods: Methods(t.Binding)))
            .ToList();
        var catchAll = Assert.Single(routes, r => r.Function == CatchAll);
        Assert.All(routes.Where(r => r.Function != CatchAll), r => Assert.True(HostOrder(r.Template, catchAll.Template) < 0 && HostOrder(catchAll.Template, r.Template) > 0,
            $"{r.Function} does not sort before the catch-all"));

        var ordered = routes.ToList();
        ordered.Sort((x, y) => HostOrder(x.Template, y.Template));
        Assert.Equal(CatchAll, ordered[^1].Function);

        string FirstTaker(string method, string path) => ordered.First(r =>
            new Microsoft.AspNetCore.Routing.Template.TemplateMatcher(r.Template, new RouteValueDictionary()).TryMatch(path, new RouteValueDictionary()) &&
            r.Methods.Contains(method)).Function;
        foreach (var route in Served)
        {
            var path = "/" + string.Join('/', route.Template.Split('/').Select(s => s.StartsWith('{') ? "sample-value" : s));
            Assert.Equal(route.Name, FirstTaker(route.Method, path));
            Assert.Equal(CatchAll, FirstTaker("PUT", path));
        }
        Assert.Equal(CatchAll, FirstTaker("GET", "/v1/no/such/route"));
    }

    /// <summary>The Functions host's route precedence (see the test above): negative when <paramref name="x"/> is tried first.</summary>
    private static int HostOrder(Microsoft.AspNetCore.Routing.Template.RouteTemplate x, Microsoft.AspNetCore.Routing.Template.RouteTemplate y)
    {
        for (var i = 0; i < x.Segments.Count; i++)
        {
            if (i >= y.Segments.Count) return -1;
            var (a, b) = (x.Segments[i].Parts[0], y.Segments[i].Parts[0]);
            if (a.IsParameter != b.IsParameter) return a.IsParameter ? 1 : -1;
            var byPart = a.IsParameter
                ? b.InlineConstraints.Count().CompareTo(a.InlineConstraints.Count())
                : string.Compare(a.Text, b.Text, StringComparison.OrdinalIgnoreCase);
            if (byPart != 0) return byPart;
        }
        return y.Segments.Count > x.Segments.Count ? 1 : 0;
    }

    [Fact]
    public void Host_json_in_the_output_fits_the_queue_adapter_and_keeps_server_urls()
    {
        var host = FunctionsApp.ReadOutputJson("host.json");
        var queues = host.GetProperty("extensions").GetProperty("queues");

        Assert.Equal("2.0", host.GetProperty("version").GetString());
        Assert.Equal("", host.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
        Assert.Equal(new QueueOptions().MaxDeliveries, queues.GetProperty("maxDequeueCount").GetInt32());
        Assert.Equal(StorageJobQueue.ClientOptions().MessageEncoding.ToString(), queues.GetProperty("messageEncoding").GetString(), ignoreCase: true);
        foreach (var key in new[] { "batchSize", "newBatchThreshold", "visibilityTimeout", "maxPollingInterval" })
            Assert.True(queues.TryGetProperty(key, out _), key);
        Assert.True(TimeSpan.Parse(host.GetProperty("functionTimeout").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
                    >= TimeSpan.FromSeconds(new JobsOptions().LeaseSeconds), "a job must be able to run for its whole lease");
    }
}
