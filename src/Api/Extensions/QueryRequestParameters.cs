using System.Reflection;
using System.Text.Json.Serialization;
using Microsoft.OpenApi;
using SanReid.Api.Model;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace SanReid.Api.Extensions;

/// <summary>
/// Describes a handler's <see cref="IQueryRequest"/> record in the OpenAPI document as one optional query parameter
/// per property (its JSON name and its CLR type's schema: integers, date-times, arrays of integers). ApiExplorer
/// leaves a parameter that binds itself (<c>BindAsync</c>) out of the document; the form records are described by
/// <c>.Accepts&lt;T&gt;("multipart/form-data")</c> on their endpoints instead.
/// </summary>
public sealed class QueryRequestParameters : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        foreach (var parameter in context.MethodInfo.GetParameters())
        {
            if (!typeof(IQueryRequest).IsAssignableFrom(parameter.ParameterType))
                continue;
            foreach (var property in parameter.ParameterType.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.GetCustomAttribute<JsonIgnoreAttribute>() is not null
                    || property.GetCustomAttribute<JsonPropertyNameAttribute>() is not { } name)
                {
                    continue;
                }

                operation.Parameters ??= [];
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = name.Name,
                    In = ParameterLocation.Query,
                    Required = false,
                    Schema = context.SchemaGenerator.GenerateSchema(property.PropertyType, context.SchemaRepository, memberInfo: property),
                });
            }
        }
    }
}
