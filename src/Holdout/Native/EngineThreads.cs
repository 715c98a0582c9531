using TorchSharp;

namespace Holdout.Native;

/// <summary>
/// Scoped changes of the engine's intra-op thread count. The count is the application's setting: Holdout only lowers
/// it for work where more threads cost more than they give, and puts the caller's value back when that work ends.
/// </summary>
internal static class EngineThreads
{
    private static readonly Lock Gate = new();
    private static int _holders;
    private static int _callers;

    /// <summary>
    /// Runs the engine with <paramref name="threads"/> intra-op threads until the returned scope is disposed, then
    /// restores the count found on entry. Nested or concurrent scopes share the first one's saved value and the last
    /// one out restores it.
    /// </summary>
    public static Scope Use(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        lock (Gate)
        {
            if (_holders++ == 0) _callers = torch.get_num_threads();
            torch.set_num_threads(threads);
        }
        return new Scope();
    }

    /// <summary>Puts the caller's thread count back when the last scope ends.</summary>
    internal readonly struct Scope : IDisposable
    {
        public void Dispose()
        {
            lock (Gate)
            {
                if (_holders > 0 && --_holders == 0) torch.set_num_threads(_callers);
            }
        }
    }
}
