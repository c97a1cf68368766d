using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;

namespace Marhaba.Hosting;

/// <summary>
/// Makes the OpenAPI document say what the endpoints do, so that generated clients can rely on it:
/// the bearer scheme only on the operations that need a token; the 401 and 403 those answer; the 400
/// and 409 of every state change (bad input; a conflicting state or a keyed request still running),
/// the 422 of a reused Idempotency-Key, the 413 and 415 of a body too large or not JSON, the 404 of an id in the path, the 429 of rate-limited traveller
/// operations; and a property that may be null is never required.
/// </summary>
public sealed class OpenApiDocumentTruth : IOpenApiDocumentTransformer, IOpenApiOperationTransformer, IOpenApiSchemaTransformer
{
    private const string Bearer = "Bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "JWT",
            Description = "A staff token: `dotnet run --project src/Marhaba -- token --demo` prints one per demo user."
        };
        return Task.CompletedTask;
    }

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var method = context.Description.HttpMethod ?? "GET";
        var changes = !HttpMethods.IsGet(method);
        var anonymous = metadata.OfType<IAllowAnonymous>().Any() || !metadata.OfType<IAuthorizeData>().Any();
        if (!anonymous)
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, context.Document)] = [] }];
            Answers(operation, context, "401", "No valid bearer token.");
            Answers(operation, context, "403", "The token's role, ports or lines do not allow this.");
        }
        if (changes || operation.Parameters?.Count > 0) Answers(operation, context, "400", "The request names what is wrong in it.");
        if (context.Description.RelativePath?.Contains("Id}") == true) Answers(operation, context, "404", "No such id.");
        if (changes)
        {
            Answers(operation, context, "409", "Refused by the current state, or a request with this Idempotency-Key is still running.");
            Answers(operation, context, "422", "This Idempotency-Key was used for another request.");
            Answers(operation, context, "413", "The body is larger than a request takes.");
            if (operation.RequestBody is not null) Answers(operation, context, "415", "The body is not JSON.");
        }
        if (metadata.OfType<EnableRateLimitingAttribute>().Any()) Answers(operation, context, "429", "Too many requests or wrong codes from this client; retry later.");
        return Task.CompletedTask;
    }

    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (schema.Required is not { Count: > 0 } required || schema.Properties is null) return Task.CompletedTask;
        foreach (var (name, property) in schema.Properties)
            if (MayBeNull(property)) required.Remove(name);
        return Task.CompletedTask;
    }

    private static bool MayBeNull(IOpenApiSchema property) =>
        property.Type is { } type && type.HasFlag(JsonSchemaType.Null)
        || (property.OneOf ?? []).Concat(property.AnyOf ?? []).Any(s => s.Type is { } t && t.HasFlag(JsonSchemaType.Null));

    private static void Answers(OpenApiOperation operation, OpenApiOperationTransformerContext context, string status, string description)
    {
        operation.Responses ??= new OpenApiResponses();
        if (operation.Responses.ContainsKey(status)) return;
        operation.Responses[status] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference("ProblemDetails", context.Document) }
            }
        };
    }
}
