using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Wati.Envelope;
using Wati.Platform.Common;
using Wati.Platform.Jobs;

namespace Wati.Platform.Http.OpenApi;

/// <summary>One route's operation: parameters, request body, and every answer with its status, schema and headers.</summary>
internal static class Operations
{
    public static OpenApiOperation Build(RouteDef route, RouteDoc doc, string tag, OpenApiDocument document, TypeSchemas types,
        EnvelopeSchemas envelopes)
    {
        var op = new OpenApiOperation
        {
            OperationId = route.Name,
            Summary = doc.Summary,
            Description = doc.Description,
            Tags = new HashSet<OpenApiTagReference> { new(tag, document) },
            Parameters = Parameters(route, doc),
            Responses = new OpenApiResponses(),
        };
        if (route.Auth != RouteAuth.None)
            op.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] }];
        op.RequestBody = Body(doc, types);

        AddSuccess(op, doc, envelopes);
        foreach (var codes in ErrorsOf(route, doc).Distinct().GroupBy(e => e.Status).OrderBy(g => g.Key))
        {
            var status = codes.Key;
            var headers = Headers(envelopes, doc.Priced || doc.JobSubmit);
            if (status is 429 or 503) headers[EnvelopeSchemas.RetryAfterHeader] = envelopes.HeaderRef(EnvelopeSchemas.RetryAfterHeader);
            if (status == 401) headers[EnvelopeSchemas.WwwAuthenticateHeader] = envelopes.HeaderRef(EnvelopeSchemas.WwwAuthenticateHeader);
            op.Responses[status.ToString(CultureInfo.InvariantCulture)] = new OpenApiResponse
            {
                Description = string.Join(", ", codes.Select(c => c.Code.Wire()).Distinct()),
                Headers = headers,
                Content = Json(envelopes.Error(codes.Select(c => c.Code))),
            };
        }
        return op;
    }

    /// <summary>
    /// Every (code, status) a route can answer: its own, and the pipeline's for its kind (auth, bodies,
    /// route values), plus INTERNAL_ERROR (500, and 503 when an adapter is down). Malformed requests are VALIDATION_ERROR on any route.
    /// </summary>
    public static IEnumerable<(ErrorCode Code, int Status)> ErrorsOf(RouteDef route, RouteDoc doc)
    {
        var codes = new List<ErrorCode>(doc.Errors) { ErrorCode.ValidationError, ErrorCode.InternalError };
        if (route.Auth != RouteAuth.None) codes.Add(ErrorCode.Unauthenticated);
        if (route.Auth is RouteAuth.Admin or RouteAuth.Session) codes.Add(ErrorCode.PermissionDenied);
        if (doc.JsonBody is not null || doc.Form is not null) codes.AddRange([ErrorCode.PayloadTooLarge, ErrorCode.UnsupportedMediaType]);
        if (doc.Form?.Any(f => f.Kind == FieldKind.File && f.Required) == true) codes.Add(ErrorCode.MissingFiles);
        if (route.Template.Contains('{', StringComparison.Ordinal)) codes.Add(ErrorCode.NotFound);
        if (doc.JobSubmit) codes.AddRange([ErrorCode.InsufficientBalance, ErrorCode.RateLimitExceeded, ErrorCode.TimeoutError,
            ErrorCode.AlreadyExists, ErrorCode.ProcessingError]);

        foreach (var code in codes.Distinct())
        {
            yield return (code, code.HttpStatus());
            if (code == ErrorCode.ProcessingError) yield return (code, 400);
        }
        // Any route: an adapter it needs is down (ErrorTranslator.IsUnavailable), retryable, with Retry-After.
        yield return (ErrorCode.InternalError, 503);
        foreach (var extra in doc.ExtraErrors) yield return extra;
    }

    private static void AddSuccess(OpenApiOperation op, RouteDoc doc, EnvelopeSchemas envelopes)
    {
        var status = doc.SuccessStatus.ToString(CultureInfo.InvariantCulture);
        var headers = Headers(envelopes, doc.Priced || doc.JobSubmit);
        if (doc.SuccessStatus == 201) headers[EnvelopeSchemas.LocationHeader] = envelopes.HeaderRef(EnvelopeSchemas.LocationHeader);
        op.Responses![status] = doc.Shape switch
        {
            ResponseShape.Raw => new OpenApiResponse
            {
                Description = doc.Summary,
                Content = new Dictionary<string, IOpenApiMediaType>
                {
                    [doc.RawContentType ?? "application/octet-stream"] = new OpenApiMediaType
                    {
                        Schema = doc.RawContentType == "application/json"
                            ? new OpenApiSchema { Type = JsonSchemaType.Object }
                            : new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" },
                    },
                },
            },
            ResponseShape.List => new OpenApiResponse
            {
                Description = "One page of " + doc.Data!.Name,
                Headers = headers,
                Content = Json(envelopes.List(doc.Data!, doc.Meta)),
            },
            _ => new OpenApiResponse { Description = doc.Summary, Headers = headers, Content = Json(envelopes.Success(doc.Data, doc.Meta)) },
        };
        if (doc.JobSubmit)
        {
            var accepted = Headers(envelopes, priced: true);
            accepted[EnvelopeSchemas.LocationHeader] = envelopes.HeaderRef(EnvelopeSchemas.LocationHeader);
            op.Responses["202"] = new OpenApiResponse
            {
                Description = "Prefer: respond-async: queued; poll Location",
                Headers = accepted,
                Content = Json(envelopes.Success(typeof(JobAccepted), doc.Meta)),
            };
        }
    }

    private static Dictionary<string, IOpenApiHeader> Headers(EnvelopeSchemas envelopes, bool priced)
    {
        var headers = new Dictionary<string, IOpenApiHeader>
        {
            [EnvelopeSchemas.RequestIdHeader] = envelopes.HeaderRef(EnvelopeSchemas.RequestIdHeader),
        };
        if (priced) headers[EnvelopeSchemas.CreditsHeader] = envelopes.HeaderRef(EnvelopeSchemas.CreditsHeader);
        return headers;
    }

    private static Dictionary<string, IOpenApiMediaType> Json(IOpenApiSchema schema) =>
        new() { ["application/json"] = new OpenApiMediaType { Schema = schema } };

    private static List<IOpenApiParameter> Parameters(RouteDef route, RouteDoc doc)
    {
        var list = new List<IOpenApiParameter>();
        foreach (var segment in route.Template.Split('/').Where(s => s.StartsWith('{')))
        {
            var name = segment.Trim('{', '}', '*');
            list.Add(new OpenApiParameter
            {
                Name = name, In = ParameterLocation.Path, Required = true,
                Description = segment.Contains("**", StringComparison.Ordinal) ? "The object key; may contain '/'" : "The resource id",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }
        foreach (var q in doc.Query)
        {
            list.Add(new OpenApiParameter
            {
                Name = q.Name, In = ParameterLocation.Query, Description = q.Description,
                Schema = new OpenApiSchema
                {
                    Type = q.Integer ? JsonSchemaType.Integer : JsonSchemaType.String,
                    Enum = q.Enum?.Select(v => (JsonNode)v).ToList(),
                },
            });
        }
        if (doc.Paged)
        {
            list.Add(new OpenApiParameter
            {
                Name = "page", In = ParameterLocation.Query, Description = "Page number, from 1",
                Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1", Default = 1 },
            });
            list.Add(new OpenApiParameter
            {
                Name = "page_size", In = ParameterLocation.Query, Description = "Items per page",
                Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1",
                    Maximum = PageRequest.MaxSize.ToString(CultureInfo.InvariantCulture), Default = PageRequest.DefaultSize },
            });
        }
        list.Add(new OpenApiParameter
        {
            Name = EnvelopeSchemas.RequestIdHeader, In = ParameterLocation.Header,
            Description = "Your own request id (1-128 of letters, digits, - _ . :); kept and echoed when sane",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 128 },
        });
        if (doc.JobSubmit)
        {
            list.Add(new OpenApiParameter
            {
                Name = "Prefer", In = ParameterLocation.Header,
                Description = "respond-async: answer 202 at once; wait=N: wait up to N seconds (at most 200) for the result, else 408",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
            list.Add(new OpenApiParameter
            {
                Name = "Idempotency-Key", In = ParameterLocation.Header,
                Description = "The same key and body within 24 h return the first call's job and charge once; a different body is 409",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 255 },
            });
        }
        return list;
    }

    private static OpenApiRequestBody? Body(RouteDoc doc, TypeSchemas types)
    {
        if (doc.JsonBody is { } body)
        {
            return new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, IOpenApiMediaType> { ["application/json"] = new OpenApiMediaType { Schema = types.Ref(body, request: true) } },
            };
        }
        if (doc.Form is not { } form) return null;
        var schema = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Properties = new Dictionary<string, IOpenApiSchema>(),
            Required = new HashSet<string>(form.Where(f => f.Required).Select(f => f.Name)),
        };
        foreach (var f in form) schema.Properties[f.Name] = Field(f);
        return new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, IOpenApiMediaType> { ["multipart/form-data"] = new OpenApiMediaType { Schema = schema } },
        };
    }

    private static OpenApiSchema Field(FormField f)
    {
        var s = new OpenApiSchema
        {
            Description = f.Description,
            Type = f.Kind switch
            {
                FieldKind.Integer => JsonSchemaType.Integer,
                FieldKind.Number => JsonSchemaType.Number,
                _ => JsonSchemaType.String,
            },
            Enum = f.Enum?.Select(v => (JsonNode)v).ToList(),
            Default = f.Default is null ? null : JsonValue.Create(f.Default),
            Minimum = f.Min?.ToString(CultureInfo.InvariantCulture),
            Maximum = f.Max?.ToString(CultureInfo.InvariantCulture),
            MaxLength = f.MaxLength,
            MultipleOf = f.MultipleOf is { } m ? (decimal)m : null,
        };
        if (f.Kind == FieldKind.File)
        {
            s.Format = "binary";
            s.ContentMediaType = "image/jpeg, image/png or image/webp";
        }
        return s;
    }
}
