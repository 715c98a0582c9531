namespace Holdout;

/// <summary>
/// A setting that holds for a scope of code, including the threads and tasks it starts (it flows with the execution
/// context), without being seen by code running concurrently elsewhere: what <c>using (ImageLimits.Use(...))</c>
/// is built on.
/// </summary>
/// <typeparam name="T">The setting's type (nullable, so that "not set" is null).</typeparam>
internal sealed class AmbientSetting<T>
{
    private readonly AsyncLocal<T> _value = new();

    /// <summary>The value set by the innermost open scope here, or the type's default when none is.</summary>
    public T? Value => _value.Value;

    /// <summary>Sets the value until the returned scope is disposed, which restores the previous one.</summary>
    public IDisposable Use(T value)
    {
        var scope = new Scope(this, _value.Value);
        _value.Value = value;
        return scope;
    }

    private sealed class Scope(AmbientSetting<T> setting, T? previous) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (!_disposed)
            {
                setting._value.Value = previous!;
                _disposed = true;
            }
        }
    }
}
