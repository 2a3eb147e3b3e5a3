using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace SanReid.Api.Options;

/// <summary>
/// Binding and validation of one <c>SanReid:*</c> options class whose every message names the full configuration key
/// (<c>SanReid:Retention:Days</c>, not <c>Days</c> of <c>RetentionOptions</c>) and what it allows, so an operator can
/// fix the setting from the message alone. A value that is not of the property's type (<c>MaxK=abc</c>) is reported
/// the same way instead of the binder's <see cref="InvalidOperationException"/> naming a CLR type.
/// </summary>
public static class KeyedOptionsValidation
{
    /// <summary>
    /// Binds <typeparamref name="T"/> to <paramref name="section"/>, validates its data annotations (and
    /// <see cref="IValidatableObject"/>) with messages naming the full key, and validates at start-up.
    /// </summary>
    public static OptionsBuilder<T> AddKeyedOptions<T>(this IServiceCollection services, string section) where T : class
    {
        services.AddSingleton<IValidateOptions<T>>(new KeyedDataAnnotationsValidator<T>(section));
        return services.AddOptions<T>()
            // Before binding: a value the binder cannot convert becomes a validation failure naming the key.
            .Configure<IConfiguration>((_, configuration) => RefuseUnconvertible<T>(configuration, section))
            .BindConfiguration(section)
            .ValidateOnStart();
    }

    /// <summary>The full key of a property: <c>{section}:{property}</c>.</summary>
    public static string Key(string section, string property) => $"{section}:{property}";

    private static void RefuseUnconvertible<T>(IConfiguration configuration, string section)
    {
        var failures = new List<string>();
        foreach (var property in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanWrite)
                continue;
            string key = Key(section, property.Name);
            string? value = configuration[key];
            if (string.IsNullOrEmpty(value) || Expected(property.PropertyType) is not { } expected || Converts(property.PropertyType, value))
                continue;
            string range = property.GetCustomAttribute<RangeAttribute>() is { } r ? $" between {r.Minimum} and {r.Maximum}" : "";
            failures.Add($"{key} must be {expected}{range}; got '{Shown(value)}'.");
        }

        if (failures.Count > 0)
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(T), failures);
    }

    private static string? Expected(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) || t == typeof(long) => "an integer",
        var t when t == typeof(double) || t == typeof(float) => "a number",
        var t when t == typeof(bool) => "true or false",
        _ => null,
    };

    private static bool Converts(Type type, string value) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
        var t when t == typeof(long) => long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
        var t when t == typeof(double) => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
        var t when t == typeof(float) => float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
        var t when t == typeof(bool) => bool.TryParse(value, out _),
        _ => true,
    };

    // Settings of a convertible type are numbers or booleans, never secrets; still clipped, in case of a pasted blob.
    private static string Shown(string value) => value.Length > 40 ? value[..40] + "…" : value;

    /// <summary>
    /// Data annotations of <typeparamref name="T"/> checked property by property with the full key as the display
    /// name (a custom message uses <c>{0}</c> for it); a range names the value too (<c>SanReid:Retention:Days must be
    /// between 0 and 36500; got -3.</c>); then <see cref="IValidatableObject.Validate"/>,
    /// whose messages name their keys themselves.
    /// </summary>
    private sealed class KeyedDataAnnotationsValidator<T>(string section) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var failures = new List<string>();
            foreach (var property in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var attributes = property.GetCustomAttributes<ValidationAttribute>().ToArray();
                if (attributes.Length == 0)
                    continue;
                object? value = property.GetValue(options);
                var context = new ValidationContext(options)
                {
                    MemberName = property.Name,
                    DisplayName = Key(section, property.Name),
                };
                foreach (var attribute in attributes)
                {
                    if (attribute.GetValidationResult(value, context) is not { ErrorMessage: { } message })
                        continue;
                    failures.Add(attribute is RangeAttribute range
                        ? $"{context.DisplayName} must be between {range.Minimum} and {range.Maximum}; got {Convert.ToString(value, CultureInfo.InvariantCulture)}."
                        : message);
                }
            }

            if (failures.Count == 0 && options is IValidatableObject validatable)
            {
                foreach (var result in validatable.Validate(new ValidationContext(options)))
                {
                    if (result.ErrorMessage is { } message)
                        failures.Add(message);
                }
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
