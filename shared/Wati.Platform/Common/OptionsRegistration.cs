using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Wati.Platform.Common;

/// <summary>How every feature binds its options: one section, validation attributes, checked at start.</summary>
public static class OptionsRegistration
{
    /// <summary>
    /// Binds <typeparamref name="T"/> to <paramref name="section"/> and checks its validation attributes at
    /// start with <typeparamref name="TValidator"/>, a source-generated <c>[OptionsValidator]</c>
    /// (<c>Common/OptionsValidators.cs</c>): the same rules as data annotations, without their start-up reflection.
    /// </summary>
    public static OptionsBuilder<T> AddWatiOptions<T, TValidator>(this IServiceCollection services, string section)
        where T : class where TValidator : class, IValidateOptions<T>
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>, TValidator>());
        return services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
    }

    /// <summary>
    /// Binds <typeparamref name="T"/>, a class with no validation attributes, to <paramref name="section"/>;
    /// checks added with <see cref="ValidateProblems{T}"/> run at start.
    /// </summary>
    public static OptionsBuilder<T> AddWatiOptionsWithoutAttributes<T>(this IServiceCollection services, string section) where T : class =>
        services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();

    /// <summary>
    /// Adds a check that lists every problem of the bound options, each message naming its key; the
    /// host does not start while any is left (the options are validated on start).
    /// </summary>
    public static OptionsBuilder<T> ValidateProblems<T>(this OptionsBuilder<T> builder, Func<T, IServiceProvider, IEnumerable<string>> problems)
        where T : class
    {
        builder.Services.AddSingleton<IValidateOptions<T>>(sp => new ProblemsValidation<T>(builder.Name, o => problems(o, sp)));
        return builder;
    }

    /// <summary>
    /// The start-up checks over all settings, added once after every options class: no setting may still
    /// hold an unresolved <c>@Microsoft.KeyVault(...)</c> reference (design section 19; named by key,
    /// never by value), and every problem of every options class is reported in one message (one
    /// <see cref="OptionsValidationException"/> listing them all, each once), so an operator fixes a
    /// deployment in one round rather than one setting per restart (issue 17).
    /// </summary>
    public static IServiceCollection AddSettingsChecks(this IServiceCollection services)
    {
        services.AddOptions<WatiOptions>().ValidateOnStart()
            .ValidateProblems((_, sp) => DataKeys.UnresolvedKeyVaultReferences(sp.GetRequiredService<IConfiguration>()));
        var validator = services.Last(d => d.ServiceType == typeof(IStartupValidator));
        services.Remove(validator);
        services.AddTransient<IStartupValidator>(sp => new OneMessageStartupValidator(Create<IStartupValidator>(validator, sp)));
        return services;
    }

    private static T Create<T>(ServiceDescriptor d, IServiceProvider sp) where T : class =>
        (T)(d.ImplementationInstance ?? d.ImplementationFactory?.Invoke(sp) ?? ActivatorUtilities.CreateInstance(sp, d.ImplementationType!));

    /// <summary>Runs the host's start-up validation and turns its failures, one exception per options class, into one.</summary>
    private sealed class OneMessageStartupValidator(IStartupValidator inner) : IStartupValidator
    {
        public void Validate()
        {
            try
            {
                inner.Validate();
            }
            catch (AggregateException e) when (e.InnerExceptions.All(x => x is OptionsValidationException))
            {
                var failures = e.InnerExceptions.Cast<OptionsValidationException>().SelectMany(x => x.Failures)
                    .Distinct(StringComparer.Ordinal).ToList();
                throw new OptionsValidationException(WatiOptions.Section, typeof(WatiOptions), failures);
            }
        }
    }

    private sealed class ProblemsValidation<T>(string? name, Func<T, IEnumerable<string>> problems) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? optionsName, T options)
        {
            if (name is not null && name != optionsName) return ValidateOptionsResult.Skip;
            var found = problems(options).ToList();
            return found.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(found);
        }
    }
}
