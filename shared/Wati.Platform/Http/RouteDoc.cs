using Wati.Envelope;

namespace Wati.Platform.Http;

/// <summary>How a route answers on success.</summary>
public enum ResponseShape
{
    /// <summary>The envelope with <c>data</c> of <see cref="RouteDoc.Data"/>.</summary>
    Single,

    /// <summary>The paginated envelope: <c>data.items</c> of <see cref="RouteDoc.Data"/> and <c>pagination</c>.</summary>
    List,

    /// <summary>Not an envelope: a file or document of <see cref="RouteDoc.RawContentType"/>.</summary>
    Raw,
}

/// <summary>
/// What the OpenAPI document says about one route (issue 8): summary, request (JSON body type, form
/// fields, query parameters), the success answer (status, shape, C# types of <c>data</c> and
/// <c>meta</c>) and the error codes the handler itself can answer. The pipeline's own errors are added
/// by the document builder: UNAUTHENTICATED for routes with auth, PERMISSION_DENIED for admin routes,
/// INTERNAL_ERROR everywhere, and VALIDATION_ERROR / PAYLOAD_TOO_LARGE / UNSUPPORTED_MEDIA_TYPE for bodies.
/// </summary>
public sealed record RouteDoc(string Summary)
{
    public string? Description { get; init; }

    /// <summary>The C# type of the JSON request body (<see cref="RequestBinding.ReadJsonAsync{T}"/>), if any.</summary>
    public Type? JsonBody { get; init; }

    /// <summary>The <c>multipart/form-data</c> fields, if the route takes a form.</summary>
    public IReadOnlyList<FormField>? Form { get; init; }

    public IReadOnlyList<QueryParam> Query { get; init; } = [];

    /// <summary>Whether the route takes <c>page</c> and <c>page_size</c>.</summary>
    public bool Paged { get; init; }

    public ResponseShape Shape { get; init; } = ResponseShape.Single;

    /// <summary>The C# type of <c>data</c> (or of each item of a list).</summary>
    public Type? Data { get; init; }

    /// <summary>The C# type of <c>meta</c>; an open object when null.</summary>
    public Type? Meta { get; init; }

    public int SuccessStatus { get; init; } = 200;

    /// <summary>For <see cref="ResponseShape.Raw"/>: the media type answered.</summary>
    public string? RawContentType { get; init; }

    /// <summary>The error codes the handler answers (beyond those every route of its kind answers).</summary>
    public IReadOnlyList<ErrorCode> Errors { get; init; } = [];

    /// <summary>Errors answered with a status other than the code's own (e.g. readiness: INTERNAL_ERROR as 503).</summary>
    public IReadOnlyList<(ErrorCode Code, int Status)> ExtraErrors { get; init; } = [];

    /// <summary>A model route: <c>Prefer</c>, <c>Idempotency-Key</c>, 202 and 408 answers, <c>X-Credits-Charged</c>.</summary>
    public bool JobSubmit { get; init; }

    /// <summary>Answers <c>X-Credits-Charged</c> (every answer about a job).</summary>
    public bool Priced { get; init; }
}

/// <summary>The kind of a form field.</summary>
public enum FieldKind { File, String, Integer, Number }

/// <summary>
/// One <c>multipart/form-data</c> field: its kind, whether it is required, default, bounds (inclusive)
/// and allowed values; <see cref="MultipleOf"/> for sizes on a grid.
/// </summary>
public sealed record FormField(string Name, FieldKind Kind, string Description)
{
    public bool Required { get; init; }
    public object? Default { get; init; }
    public double? Min { get; init; }
    public double? Max { get; init; }
    public int? MaxLength { get; init; }
    public double? MultipleOf { get; init; }
    public IReadOnlyList<string>? Enum { get; init; }
}

/// <summary>One query parameter (strings unless <see cref="Integer"/>), with allowed values when closed.</summary>
public sealed record QueryParam(string Name, string Description)
{
    public bool Integer { get; init; }
    public IReadOnlyList<string>? Enum { get; init; }
}
