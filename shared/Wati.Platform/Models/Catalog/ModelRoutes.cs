using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Wati.Envelope;
using Wati.Platform.Common;
using Wati.Platform.Credits;
using Wati.Platform.Http;
using Wati.Platform.Jobs;

namespace Wati.Platform.Models.Catalog;

/// <summary>
/// The catalogue over HTTP (issue 18, item 2): <c>GET /v1/models</c> and <c>GET /v1/models/{name}</c>
/// (public) describe each model; <c>POST /v1/models/{name}</c> calls any of them exactly as its own route does.
/// </summary>
public static class ModelRoutes
{
    /// <summary>The catalogue's routes.</summary>
    public static IEnumerable<RouteDef> All =>
    [
        new RouteDef<Deps>("ListModels", "GET", "v1/models", RouteAuth.None, List)
        {
            Doc = new("The model catalogue: each model's route, input schema (JSON Schema), output kind and price")
            {
                Shape = ResponseShape.List, Data = typeof(ModelInfo), Paged = true,
            },
        },
        new RouteDef<Deps>("GetModel", "GET", "v1/models/{name}", RouteAuth.None, Get)
        {
            Doc = new("One model of the catalogue") { Data = typeof(ModelInfo) },
        },
        new RouteDef<JobRoutes.Deps>("RunModel", "POST", "v1/models/{name}", RouteAuth.User,
            (rc, deps) => JobRoutes.SubmitAsync(rc, deps, deps.Catalog.Get(rc.Args["name"])))
        {
            Doc = new("Call any catalogue model by name, exactly as its own route")
            {
                Description = JobRoutes.SubmitDescription + " The form fields are the model's input_schema (GET /v1/models/{name}); " +
                              "a model whose output_kind is images answers outputs[{url,index}] in place of key/url.",
                Form = [], Data = typeof(ModelOutputData), Meta = typeof(JobMeta), JobSubmit = true,
            },
        },
    ];

    /// <summary>What the catalogue's read routes use: the catalogue and the configured prices.</summary>
    public sealed record Deps(ModelCatalog Catalog, CreditsService Credits);

    private static Task<IResult> List(RequestContext rc, Deps deps)
    {
        var page = rc.Paging();
        var all = deps.Catalog.All;
        var items = all.Skip(page.Skip).Take(page.PageSize).Select(m => ModelInfo.Of(m, deps.Credits.Options)).ToList();
        return Task.FromResult<IResult>(rc.List(items, Pagination.Of(all.Count, page.Page, page.PageSize)));
    }

    private static Task<IResult> Get(RequestContext rc, Deps deps) =>
        Task.FromResult<IResult>(rc.Ok(ModelInfo.Of(deps.Catalog.Get(rc.Args["name"]), deps.Credits.Options)));
}

/// <summary>
/// A catalogue model as <c>GET /v1/models</c> lists it: <c>name</c>, <c>route</c> (the path it is called
/// at; every model is also callable at <c>/v1/models/{name}</c>), <c>description</c>, <c>input_schema</c>
/// (a JSON Schema of its form), <c>output_kind</c> (image, images, video or audio) and <c>price</c>.
/// </summary>
public sealed record ModelInfo(string Name, string Route, string Description, JsonObject InputSchema, OutputKind OutputKind, ModelPriceInfo Price)
{
    /// <summary>The listing of <paramref name="model"/> with its configured price.</summary>
    public static ModelInfo Of(ModelDefinition model, CreditsOptions prices)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prices);
        return new(model.Name, "/" + model.Route, model.Description, model.Schema.JsonSchema(), model.OutputKind,
            new ModelPriceInfo(prices.PriceOf(model.Name), model.Price.Per));
    }
}

/// <summary>A model's price: <c>credits</c> (int64 as a string) per <c>per</c>: <c>call</c>, <c>output</c> or <c>second</c> (of output).</summary>
public sealed record ModelPriceInfo(long Credits, PricePer Per);

/// <summary>
/// The data of a waited answer of <c>POST /v1/models/{name}</c>, for the OpenAPI document: what the model's
/// own route answers, i.e. <see cref="SingleOutputData"/> (<c>key</c>, <c>url</c>) for one output, or
/// <see cref="MultipleOutputData"/> (<c>outputs</c>) for a model whose output kind is <c>images</c>.
/// </summary>
public sealed record ModelOutputData(string JobId, int ExpiresIn)
{
    /// <summary>One output: its object key.</summary>
    public string? Key { get; init; }

    /// <summary>One output: its URL.</summary>
    public string? Url { get; init; }

    /// <summary>One output: the presigned URL when it differs from <see cref="Url"/>.</summary>
    public string? PresignedUrl { get; init; }

    /// <summary>Several outputs (output kind <c>images</c>): each with its URL and index.</summary>
    public IReadOnlyList<OutputView>? Outputs { get; init; }
}
