using Microsoft.Extensions.Options;

namespace MambaServe.Server.Hosting;

/// <summary>
/// Runs an options type's own <c>Validate()</c> (which throws <see cref="ArgumentException"/>s, as the engine calls it
/// too) at start-up and turns the exception into a failure that names the setting, its value and the rule, so the one
/// line the server prints says what to change.
/// </summary>
public sealed class ArgumentCheckValidator<T>(string section, Action<T> validate) : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        try
        {
            validate(options);
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail(Describe(ex));
        }
    }

    private string Describe(ArgumentException ex)
    {
        // The message without the runtime's " (Parameter 'X')" suffix and "Actual value was" line: both said here.
        var rule = ex.Message.Split('\n')[0];
        int suffix = rule.IndexOf(" (Parameter '", StringComparison.Ordinal);
        rule = suffix >= 0 ? rule[..suffix] : rule;
        var value = ex is ArgumentOutOfRangeException { ActualValue: { } actual } ? $" is {actual}" : string.Empty;
        return ex.ParamName is null ? $"{section}: {rule}" : $"{section}:{ex.ParamName}{value}: {rule}";
    }
}
