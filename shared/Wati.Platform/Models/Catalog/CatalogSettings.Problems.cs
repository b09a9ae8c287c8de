using System.Text.RegularExpressions;

namespace Wati.Platform.Models.Catalog;

/// <summary>The checks that stop the start when a declaration has a mistake (issue 18, item 3), each naming its full key.</summary>
public sealed partial class CatalogSettings
{
    /// <summary>The longest model name.</summary>
    public const int MaxNameLength = 40;

    /// <summary>
    /// Every mistake in every declared model, each message starting with the full key to fix
    /// (<c>Wati:Models:Catalog:{name}:…</c>); empty when the catalogue can be used. Checked: the name (a slug
    /// <c>[a-z0-9-]{1,40}</c> that is not one of <paramref name="reservedNames"/>), the route (relative, <c>v1/…</c>),
    /// each input (known kind; <c>Min</c>/<c>Max</c> only on numbers, integers for <c>integer</c>, min ≤ max;
    /// <c>MaxLength</c> only on text; an enum with <c>Values</c> and only an enum; a default of the input's kind, in
    /// range, in the values; no default for an image), the output (known kind; <c>images</c> needs <c>CountFrom</c>
    /// naming an integer input bounded by a <c>Max</c>, and only <c>images</c> has one), the price (whole credits, 0
    /// or more; <c>Per</c> <c>call</c> or <c>output</c>), Replicate (<c>Model</c> set as <c>owner/name</c> or
    /// <c>owner/name:{64 hex}</c>; every required input and every image input named by some <c>Replicate:Inputs</c>
    /// value, since any value that names no input is sent as a literal and such an input would never reach the
    /// model), and keys no setting reads.
    /// </summary>
    /// <param name="reservedNames">Names the code-defined models already use (compared case-insensitively).</param>
    public IEnumerable<string> Problems(IEnumerable<string> reservedNames)
    {
        var reserved = reservedNames.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return Models.SelectMany(m => ModelProblems(m, reserved));
    }

    private static IEnumerable<string> ModelProblems(CatalogModelSettings m, HashSet<string> reserved)
    {
        var key = m.Key;
        if (!Slug().IsMatch(m.Name))
            yield return $"{key}: the model name '{m.Name}' must be 1..{MaxNameLength} of a-z, 0-9 and '-'";
        else if (reserved.Contains(m.Name))
            yield return $"{key}: the model name '{m.Name}' is taken by a built-in model";
        if (!RelativeRoute().IsMatch(m.Route))
            yield return $"{key}:Route '{m.Route}' must be a relative path 'v1/…' of a-z, 0-9, '-', '_' and '/' segments";
        foreach (var unknown in m.UnknownKeys)
            yield return $"{key}:{unknown} is not a setting of a catalogue model";
        if (m.Inputs.Count == 0)
            yield return $"{key}:Inputs declares no input";
        foreach (var input in m.Inputs)
        foreach (var problem in InputProblems($"{key}:Inputs:{input.Field}", input))
            yield return problem;
        foreach (var problem in OutputProblems(m))
            yield return problem;
        foreach (var problem in PriceProblems(m))
            yield return problem;
        foreach (var problem in ReplicateProblems(m))
            yield return problem;
    }

    private static IEnumerable<string> InputProblems(string key, CatalogInputSettings i)
    {
        if (!FieldName().IsMatch(i.Field))
            yield return $"{key}: the field name '{i.Field}' must start with a-z and hold only a-z, 0-9 and '_' (at most 64)";
        var kind = i.KindName;
        if (kind.Length == 0)
        {
            yield return $"{key}:Kind is not set (one of {string.Join(", ", CatalogKinds.Inputs)})";
            yield break;
        }
        if (!CatalogKinds.Inputs.Contains(kind))
        {
            yield return $"{key}:Kind '{i.Kind}' is unknown (one of {string.Join(", ", CatalogKinds.Inputs)})";
            yield break;
        }
        if (i.Required is not null && !bool.TryParse(i.Required, out _))
            yield return $"{key}:Required '{i.Required}' is not true or false";

        var numeric = kind is "integer" or "number";
        if (!numeric && (i.Min is not null || i.Max is not null))
            yield return $"{key}: Min and Max are for integer and number inputs, not {kind}";
        if (kind != "text" && i.MaxLength is not null)
            yield return $"{key}:MaxLength is for text inputs, not {kind}";
        if (kind != "enum" && i.Values is not null)
            yield return $"{key}:Values is for enum inputs, not {kind}";

        if (numeric)
        {
            foreach (var (name, value) in new[] { ("Min", i.Min), ("Max", i.Max) })
                if (value is not null && (kind == "integer" ? CatalogNumbers.Integer(value) is null : CatalogNumbers.Decimal(value) is null))
                    yield return $"{key}:{name} '{value}' is not {(kind == "integer" ? "an integer" : "a number")}";
            if (i.MinValue is { } min && i.MaxValue is { } max && min > max)
                yield return $"{key}: Min {i.Min} is greater than Max {i.Max}";
        }
        if (kind == "text" && i.MaxLength is not null && (!int.TryParse(i.MaxLength, out var length) || length < 1))
            yield return $"{key}:MaxLength '{i.MaxLength}' is not a whole number of 1 or more";
        if (kind == "enum")
        {
            var values = i.ValueList;
            if (values.Count == 0)
                yield return $"{key}:Values is not set: an enum lists its values, comma-separated";
            else if (values.Distinct(StringComparer.Ordinal).Count() != values.Count)
                yield return $"{key}:Values '{i.Values}' lists a value twice";
        }
        if (i.Default is not null && DefaultProblem(kind, i) is { } wrong)
            yield return $"{key}:Default '{i.Default}' {wrong}";
    }

    /// <summary>What is wrong with an input's default, or null.</summary>
    private static string? DefaultProblem(string kind, CatalogInputSettings i)
    {
        var value = i.Default!;
        switch (kind)
        {
            case "image":
                return "is not allowed: an image input has no default";
            case "bool":
                return bool.TryParse(value, out _) ? null : "is not true or false";
            case "enum":
                return i.ValueList.Count == 0 || i.ValueList.Contains(value, StringComparer.Ordinal)
                    ? null
                    : $"is not one of its Values ({string.Join(", ", i.ValueList)})";
            case "text":
                return value.Length <= i.MaxLengthValue ? null : $"is longer than its MaxLength {i.MaxLengthValue}";
        }
        decimal? number = kind == "integer" ? CatalogNumbers.Integer(value) : CatalogNumbers.Decimal(value);
        if (number is not { } n) return kind == "integer" ? "is not an integer" : "is not a number";
        if (i.MinValue is { } min && n < min) return $"is below its Min {i.Min}";
        if (i.MaxValue is { } max && n > max) return $"is above its Max {i.Max}";
        return null;
    }

    private static IEnumerable<string> OutputProblems(CatalogModelSettings m)
    {
        var key = $"{m.Key}:Output";
        var kind = m.Output.KindName;
        if (kind.Length == 0) yield return $"{key}:Kind is not set (one of {string.Join(", ", CatalogKinds.Outputs)})";
        else if (!CatalogKinds.Outputs.Contains(kind))
            yield return $"{key}:Kind '{m.Output.Kind}' is unknown (one of {string.Join(", ", CatalogKinds.Outputs)})";

        var countFrom = m.Output.CountFrom;
        if (kind == "images" && string.IsNullOrWhiteSpace(countFrom))
            yield return $"{key}:CountFrom is not set: an images output names the integer input that sets how many";
        else if (kind != "images" && countFrom is not null)
            yield return $"{key}:CountFrom is only for an images output";
        else if (kind == "images")
        {
            var input = m.Input(countFrom!);
            if (input is null || input.KindName != "integer")
                yield return $"{key}:CountFrom '{countFrom}' is not an integer input of this model";
            else if (input.MaxValue is null)
                yield return $"{key}:CountFrom '{countFrom}': {m.Key}:Inputs:{input.Field}:Max is not set, so the number of outputs has no bound";
            else if (input.MinValue is < 1)
                yield return $"{key}:CountFrom '{countFrom}': {m.Key}:Inputs:{input.Field}:Min must be 1 or more (a call makes at least one output)";
        }
    }

    private static IEnumerable<string> PriceProblems(CatalogModelSettings m)
    {
        var key = $"{m.Key}:Price";
        if (string.IsNullOrWhiteSpace(m.Price.Credits)) yield return $"{key}:Credits is not set";
        else if (m.Price.CreditsValue is not { } credits) yield return $"{key}:Credits '{m.Price.Credits}' is not a whole number of credits";
        else if (credits < 0) yield return $"{key}:Credits {credits} is negative";
        if (!CatalogKinds.Pers.Contains(m.Price.PerName))
            yield return $"{key}:Per '{m.Price.Per}' is unknown (one of {string.Join(", ", CatalogKinds.Pers)})";
    }

    private static IEnumerable<string> ReplicateProblems(CatalogModelSettings m)
    {
        var key = $"{m.Key}:Replicate";
        if (string.IsNullOrWhiteSpace(m.Replicate.Model)) yield return $"{key}:Model is not set (owner/name or owner/name:version)";
        else if (!ReplicateModel().IsMatch(m.Replicate.Model))
            yield return $"{key}:Model '{m.Replicate.Model}' is not owner/name or owner/name:version (a version is 64 hex digits)";

        foreach (var (theirs, value) in m.Replicate.Inputs)
            if (string.IsNullOrWhiteSpace(value))
                yield return $"{key}:Inputs:{theirs} is empty: name one of the model's inputs or give a literal";
        var named = m.Replicate.Inputs.Select(p => m.Input(p.Value)?.Field).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var input in m.Inputs.Where(i => (i.IsRequired || i.KindName == "image") && !named.Contains(i.Field)))
            yield return $"{m.Key}:Inputs:{input.Field} is not sent to Replicate: no Replicate:Inputs value names it";
    }

    [GeneratedRegex("^[a-z0-9-]{1,40}$")]
    private static partial Regex Slug();

    [GeneratedRegex("^v1(/[a-z0-9_-]+)+$")]
    private static partial Regex RelativeRoute();

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex FieldName();

    // Replicate's owner and model names: letters, digits, '-', '_' and '.'; a version id is a 64-hex SHA-256.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*(:[0-9a-f]{64})?$")]
    private static partial Regex ReplicateModel();
}
