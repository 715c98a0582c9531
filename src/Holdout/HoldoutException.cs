namespace Holdout;

/// <summary>
/// An error caused by the user's input or environment (a bad option, an unreadable file, a platform that cannot
/// run the engine). Its message says what happened, what was expected and how to fix it; the command-line tool
/// prints it without a stack trace.
/// </summary>
public class HoldoutException : Exception
{
    /// <summary>Creates an error with a message that names the file or option, what was expected and the fix.</summary>
    public HoldoutException(string message) : base(message) { }

    /// <summary>Creates an error that wraps the low-level cause.</summary>
    public HoldoutException(string message, Exception inner) : base(message, inner) { }
}
