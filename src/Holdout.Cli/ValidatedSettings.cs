namespace Holdout.Cli;

/// <summary>
/// Settings checked before the command runs: a <see cref="HoldoutException"/> from <see cref="Check"/> (the library's
/// own validation) becomes a usage error (exit code 2) with its message.
/// </summary>
internal abstract class ValidatedSettings : CommandSettings
{
    public sealed override ValidationResult Validate()
    {
        try
        {
            Check();
            return ValidationResult.Success();
        }
        catch (HoldoutException e)
        {
            return ValidationResult.Error(e.Message);
        }
    }

    /// <summary>Throws a <see cref="HoldoutException"/> naming the first option that is not valid.</summary>
    protected abstract void Check();
}
