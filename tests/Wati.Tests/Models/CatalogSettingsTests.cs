using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Wati.Platform.Models;
using Wati.Platform.Models.Catalog;

namespace Wati.Tests.Models;

/// <summary>
/// Issue 18, item 3: models declared under <c>Wati:Models:Catalog:{name}</c>, bound from configuration (environment
/// variable spelling included), every mistake named by its full key, and the Replicate input built from the mapping.
/// </summary>
public sealed class CatalogSettingsTests
{
    private const string P = "Wati:Models:Catalog:upscale";

    /// <summary>A valid declaration: an image, a ranged integer count, a number, an enum, a text and a bool, mapped to Replicate.</summary>
    private static Dictionary<string, string?> Valid() => new()
    {
        [$"{P}:Description"] = "Upscales a photo",
        [$"{P}:Inputs:image:Kind"] = "image",
        [$"{P}:Inputs:image:Required"] = "true",
        [$"{P}:Inputs:count:Kind"] = "integer",
        [$"{P}:Inputs:count:Min"] = "1",
        [$"{P}:Inputs:count:Max"] = "4",
        [$"{P}:Inputs:count:Default"] = "1",
        [$"{P}:Inputs:strength:Kind"] = "number",
        [$"{P}:Inputs:strength:Min"] = "0",
        [$"{P}:Inputs:strength:Max"] = "1",
        [$"{P}:Inputs:strength:Default"] = "0.5",
        [$"{P}:Inputs:mode:Kind"] = "enum",
        [$"{P}:Inputs:mode:Values"] = "fast, best",
        [$"{P}:Inputs:mode:Default"] = "fast",
        [$"{P}:Inputs:prompt:Kind"] = "text",
        [$"{P}:Inputs:prompt:MaxLength"] = "200",
        [$"{P}:Inputs:face:Kind"] = "bool",
        [$"{P}:Output:Kind"] = "images",
        [$"{P}:Output:CountFrom"] = "count",
        [$"{P}:Price:Credits"] = "3",
        [$"{P}:Price:Per"] = "output",
        [$"{P}:Replicate:Model"] = "nightmareai/real-esrgan",
        [$"{P}:Replicate:Inputs:img"] = "image",
        [$"{P}:Replicate:Inputs:num_outputs"] = "count",
        [$"{P}:Replicate:Inputs:denoise"] = "strength",
        [$"{P}:Replicate:Inputs:quality"] = "mode",
        [$"{P}:Replicate:Inputs:prompt"] = "prompt",
        [$"{P}:Replicate:Inputs:face_enhance"] = "face",
        [$"{P}:Replicate:Inputs:scale"] = "4",
        [$"{P}:Replicate:Inputs:tile"] = "0.25",
        [$"{P}:Replicate:Inputs:safety"] = "false",
        [$"{P}:Replicate:Inputs:sampler"] = "DPM++ 2M",
    };

    private static CatalogSettings Bind(IDictionary<string, string?> settings) =>
        CatalogSettings.Bind(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

    private static List<string> ProblemsOf(Action<Dictionary<string, string?>> change, params string[] reserved)
    {
        var settings = Valid();
        change(settings);
        return Bind(settings.Where(s => s.Value is not null).ToDictionary()).Problems(reserved).ToList();
    }

    // --- binding ---------------------------------------------------------------------------------------------------

    [Fact]
    public void A_valid_declaration_binds_every_setting_and_has_no_problems()
    {
        var catalog = Bind(Valid());

        Assert.Empty(catalog.Problems(ModelCatalog.Code.Select(m => m.Name)));
        var m = Assert.Single(catalog.Models);
        Assert.Equal(("upscale", "Upscales a photo", "v1/models/upscale"), (m.Name, m.Description, m.Route));
        Assert.Equal(["count", "face", "image", "mode", "prompt", "strength"], m.Inputs.Select(i => i.Field));
        var count = m.Input("count")!;
        Assert.Equal(("integer", 1m, 4m, "1"), (count.KindName, count.MinValue, count.MaxValue, count.Default));
        Assert.True(m.Input("image")!.IsRequired);
        Assert.False(m.Input("face")!.IsRequired);
        Assert.Equal(["fast", "best"], m.Input("mode")!.ValueList);
        Assert.Equal(200, m.Input("prompt")!.MaxLengthValue);
        Assert.Equal(("images", "count"), (m.Output.KindName, m.Output.CountFrom));
        Assert.Equal((3L, "output"), (m.Price.CreditsValue, m.Price.PerName));
        Assert.Equal(("nightmareai/real-esrgan", (string?)null), (m.Replicate.ModelName, m.Replicate.Version));
        Assert.Equal("image", m.Replicate.Inputs.Single(p => p.Key == "img").Value);
    }

    [Fact]
    public void Environment_variables_declare_a_model()
    {
        const string version = "f121d640bd286e1fdc67f9799164c1d5be36ff74576ee11c803ae5b665dd46aa";
        var environment = new Dictionary<string, string?>
        {
            ["Wati__Models__Catalog__upscale__Inputs__image__Kind"] = "image",
            ["Wati__Models__Catalog__upscale__Output__Kind"] = "image",
            ["Wati__Models__Catalog__upscale__Price__Credits"] = "2",
            ["Wati__Models__Catalog__upscale__Replicate__Model"] = $"nightmareai/real-esrgan:{version}",
            ["Wati__Models__Catalog__upscale__Replicate__Inputs__image"] = "image",
            ["Wati__Models__Catalog__upscale__Route"] = "v1/upscale",
        };
        // The environment provider's own translation of "__" into ":" (it reads from the process; a copy of
        // these variables is given to it through a prefix no other test uses).
        foreach (var (k, v) in environment) Environment.SetEnvironmentVariable("CATALOGTEST_" + k, v);
        try
        {
            var config = new ConfigurationBuilder().AddEnvironmentVariables("CATALOGTEST_").Build();
            var catalog = CatalogSettings.Bind(config);

            Assert.Empty(catalog.Problems(ModelCatalog.Code.Select(m => m.Name)));
            var m = Assert.Single(catalog.Models);
            Assert.Equal(("upscale", "v1/upscale", "image", "call"), (m.Name, m.Route, m.Input("image")!.KindName, m.Price.PerName));
            Assert.Equal(("nightmareai/real-esrgan", version), (m.Replicate.ModelName, m.Replicate.Version));
        }
        finally
        {
            foreach (var k in environment.Keys) Environment.SetEnvironmentVariable("CATALOGTEST_" + k, null);
        }
    }

    [Fact]
    public void No_section_means_no_models()
    {
        var catalog = Bind(new Dictionary<string, string?> { ["Wati:Models:Provider"] = "local" });
        Assert.Empty(catalog.Models);
        Assert.Empty(catalog.Problems(ModelCatalog.Code.Select(m => m.Name)));
    }

    // --- problems, each naming its key ---------------------------------------------------------------------------

    public static TheoryData<string, string?, string?, string> Mistakes => new()
    {
        // key (under the model) set to value (null removes it) -> the message expected
        { "Inputs:strength:Kind", "float", null, $"{P}:Inputs:strength:Kind 'float' is unknown" },
        { "Inputs:strength:Kind", null, null, $"{P}:Inputs:strength:Kind is not set" },
        { "Inputs:strength:Min", "2", null, $"{P}:Inputs:strength: Min 2 is greater than Max 1" },
        { "Inputs:strength:Max", "much", null, $"{P}:Inputs:strength:Max 'much' is not a number" },
        { "Inputs:count:Max", "2.5", null, $"{P}:Inputs:count:Max '2.5' is not an integer" },
        { "Inputs:strength:Default", "1.5", null, $"{P}:Inputs:strength:Default '1.5' is above its Max 1" },
        { "Inputs:count:Default", "0", null, $"{P}:Inputs:count:Default '0' is below its Min 1" },
        { "Inputs:count:Default", "two", null, $"{P}:Inputs:count:Default 'two' is not an integer" },
        { "Inputs:mode:Default", "slow", null, $"{P}:Inputs:mode:Default 'slow' is not one of its Values (fast, best)" },
        { "Inputs:mode:Values", null, null, $"{P}:Inputs:mode:Values is not set" },
        { "Inputs:mode:Values", "a,b,a", null, $"{P}:Inputs:mode:Values 'a,b,a' lists a value twice" },
        { "Inputs:prompt:Values", "x", null, $"{P}:Inputs:prompt:Values is for enum inputs, not text" },
        { "Inputs:face:Min", "0", null, $"{P}:Inputs:face: Min and Max are for integer and number inputs, not bool" },
        { "Inputs:count:MaxLength", "3", null, $"{P}:Inputs:count:MaxLength is for text inputs, not integer" },
        { "Inputs:prompt:MaxLength", "0", null, $"{P}:Inputs:prompt:MaxLength '0' is not a whole number of 1 or more" },
        { "Inputs:prompt:Default", new string('x', 201), null, $"{P}:Inputs:prompt:Default '{new string('x', 201)}' is longer than its MaxLength 200" },
        { "Inputs:face:Default", "yes", null, $"{P}:Inputs:face:Default 'yes' is not true or false" },
        { "Inputs:image:Default", "https://example.com/a.png", null, $"{P}:Inputs:image:Default 'https://example.com/a.png' is not allowed" },
        { "Inputs:image:Required", "sure", null, $"{P}:Inputs:image:Required 'sure' is not true or false" },
        { "Inputs:Bad-Field:Kind", "text", null, $"{P}:Inputs:Bad-Field: the field name 'Bad-Field' must start with a-z" },
        { "Inputs:count:Kidn", "integer", null, $"{P}:Inputs:count:Kidn is not a setting of a catalogue model" },
        { "Pricing:Credits", "3", null, $"{P}:Pricing is not a setting of a catalogue model" },
        { "Output:Kind", "hologram", null, $"{P}:Output:Kind 'hologram' is unknown (one of image, images, video, audio)" },
        { "Output:Kind", null, "Output:CountFrom", $"{P}:Output:Kind is not set" },
        { "Output:CountFrom", null, null, $"{P}:Output:CountFrom is not set: an images output names the integer input that sets how many" },
        { "Output:CountFrom", "strength", null, $"{P}:Output:CountFrom 'strength' is not an integer input of this model" },
        { "Output:CountFrom", "copies", null, $"{P}:Output:CountFrom 'copies' is not an integer input of this model" },
        { "Inputs:count:Max", null, null, $"{P}:Output:CountFrom 'count': {P}:Inputs:count:Max is not set" },
        { "Inputs:count:Min", "0", "Inputs:count:Default", $"{P}:Output:CountFrom 'count': {P}:Inputs:count:Min must be 1 or more" },
        { "Output:Kind", "video", null, $"{P}:Output:CountFrom is only for an images output" },
        { "Price:Credits", null, null, $"{P}:Price:Credits is not set" },
        { "Price:Credits", "-1", null, $"{P}:Price:Credits -1 is negative" },
        { "Price:Credits", "1.5", null, $"{P}:Price:Credits '1.5' is not a whole number of credits" },
        { "Price:Per", "second", null, $"{P}:Price:Per 'second' is unknown (one of call, output)" },
        { "Replicate:Model", null, null, $"{P}:Replicate:Model is not set" },
        { "Replicate:Model", "real-esrgan", null, $"{P}:Replicate:Model 'real-esrgan' is not owner/name or owner/name:version" },
        { "Replicate:Model", "nightmareai/real-esrgan:abc", null, $"{P}:Replicate:Model 'nightmareai/real-esrgan:abc' is not owner/name or owner/name:version" },
        { "Replicate:Inputs:img", "picture", null, $"{P}:Inputs:image is not sent to Replicate: no Replicate:Inputs value names it" },
        { "Replicate:Inputs:img", "", null, $"{P}:Replicate:Inputs:img is empty" },
        { "Route", "/v1/upscale", null, $"{P}:Route '/v1/upscale' must be a relative path 'v1/…'" },
        { "Route", "https://evil.example/v1/x", null, $"{P}:Route 'https://evil.example/v1/x' must be a relative path" },
        { "Route", "v1/../admin", null, $"{P}:Route 'v1/../admin' must be a relative path" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void Each_mistake_is_reported_with_its_full_key(string key, string? value, string? alsoRemove, string expected)
    {
        var problems = ProblemsOf(s =>
        {
            s[$"{P}:{key}"] = value;
            if (alsoRemove is not null) s[$"{P}:{alsoRemove}"] = null;
        });

        Assert.Contains(problems, p => p.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_required_input_no_mapping_names_is_never_sent_and_says_so()
    {
        var problems = ProblemsOf(s =>
        {
            s[$"{P}:Inputs:prompt:Required"] = "true";
            s[$"{P}:Replicate:Inputs:prompt"] = null;
        });

        Assert.Equal([$"{P}:Inputs:prompt is not sent to Replicate: no Replicate:Inputs value names it"], problems);
    }

    [Fact]
    public void An_optional_input_no_mapping_names_is_allowed()
    {
        Assert.Empty(ProblemsOf(s => s[$"{P}:Replicate:Inputs:face_enhance"] = null));
    }

    [Theory]
    [InlineData("Upscale")]
    [InlineData("up_scale")]
    [InlineData("a-name-of-more-than-forty-characters-is-too-long")]
    public void A_name_that_is_not_a_slug_is_refused(string name)
    {
        var settings = Valid().ToDictionary(s => s.Key.Replace(":upscale:", $":{name}:", StringComparison.Ordinal), s => s.Value);
        settings[$"Wati:Models:Catalog:{name}:Route"] = "v1/models/x";

        var problems = Bind(settings).Problems(ModelCatalog.Code.Select(m => m.Name)).ToList();

        Assert.Contains($"Wati:Models:Catalog:{name}: the model name '{name}' must be 1..40 of a-z, 0-9 and '-'", problems);
    }

    [Fact]
    public void A_name_a_built_in_model_has_is_refused_whatever_its_case()
    {
        var settings = Valid().ToDictionary(s => s.Key.Replace(":upscale:", ":gfpgan:", StringComparison.Ordinal), s => s.Value);

        var problems = Bind(settings).Problems(["GFPGAN", "iclight"]).ToList();

        Assert.Equal(["Wati:Models:Catalog:gfpgan: the model name 'gfpgan' is taken by a built-in model"], problems);
    }

    [Fact]
    public void Every_problem_of_every_model_is_reported_at_once()
    {
        var settings = Valid();
        settings[$"{P}:Output:Kind"] = "hologram";
        settings["Wati:Models:Catalog:other:Inputs:x:Kind"] = "blob";

        var problems = Bind(settings).Problems([]).ToList();

        Assert.Contains(problems, p => p.StartsWith($"{P}:Output:Kind 'hologram'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Wati:Models:Catalog:other:Inputs:x:Kind 'blob' is unknown", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Wati:Models:Catalog:other:Output:Kind is not set", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Wati:Models:Catalog:other:Price:Credits is not set", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Wati:Models:Catalog:other:Replicate:Model is not set", StringComparison.Ordinal));
    }

    // --- the Replicate input ---------------------------------------------------------------------------------------

    [Theory]
    [InlineData("4", "4")]
    [InlineData("0.25", "0.25")]
    [InlineData("-3", "-3")]
    [InlineData("1e3", "1000")]
    [InlineData("false", "false")]
    [InlineData("True", "true")]
    [InlineData("DPM++ 2M", "\"DPM++ 2M\"")]
    [InlineData("1,5", "\"1,5\"")] // not a number in the invariant culture: a string
    [InlineData("NaN", "\"NaN\"")]
    [InlineData("0x10", "\"0x10\"")]
    public void A_literal_is_sent_as_a_number_or_boolean_when_it_parses_else_as_a_string(string literal, string json)
    {
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), CatalogReplicateInputs.Literal(literal)), CatalogReplicateInputs.Literal(literal).ToJsonString());
    }

    [Fact]
    public void The_replicate_input_sends_inputs_typed_by_kind_literals_as_literals_and_defaults_for_what_was_not_given()
    {
        var model = Bind(Valid()).Models.Single();
        var image = JsonValue.Create("data:image/png;base64,AAAA");

        var input = CatalogReplicateInputs.Build(model,
            new Dictionary<string, string> { ["count"] = "3", ["mode"] = "best", ["face"] = "true" },
            new Dictionary<string, JsonNode> { ["image"] = image });

        Assert.Equal(
            """{"denoise":0.5,"face_enhance":true,"img":"data:image/png;base64,AAAA","num_outputs":3,"quality":"best","safety":false,"sampler":"DPM\u002B\u002B 2M","scale":4,"tile":0.25}""",
            Sorted(input).ToJsonString());
    }

    [Fact]
    public void A_given_text_is_sent_as_a_string_even_when_it_looks_like_a_number()
    {
        var model = Bind(Valid()).Models.Single();

        var input = CatalogReplicateInputs.Build(model, new Dictionary<string, string> { ["prompt"] = "42", ["strength"] = "0.75" },
            new Dictionary<string, JsonNode>());

        Assert.Equal("\"42\"", input["prompt"]!.ToJsonString());
        Assert.Equal("0.75", input["denoise"]!.ToJsonString());
        Assert.False(input.ContainsKey("img")); // no image given: left out, not null
        Assert.Equal("1", input["num_outputs"]!.ToJsonString()); // count's default
    }

    [Fact]
    public void A_value_that_does_not_parse_as_its_kind_is_a_format_error()
    {
        var model = Bind(Valid()).Models.Single();
        Assert.Throws<FormatException>(() => CatalogReplicateInputs.Typed(model.Input("count")!, "three"));
        Assert.Throws<FormatException>(() => CatalogReplicateInputs.Typed(model.Input("face")!, "maybe"));
        Assert.Throws<ArgumentException>(() => CatalogReplicateInputs.Typed(model.Input("image")!, "x"));
    }

    private static JsonObject Sorted(JsonObject o) => new(o.OrderBy(p => p.Key, StringComparer.Ordinal)
        .Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
}
