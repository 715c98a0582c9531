namespace Holdout.Tests;

/// <summary>
/// A fact that needs a Python module under Debian's <c>/usr/bin/python3</c> (e.g. <c>onnx</c>, <c>tensorboard</c>);
/// skipped with the reason where <c>/usr/bin/python3 -c "import MODULE"</c> fails.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class PythonModuleFactAttribute : FactAttribute
{
    public PythonModuleFactAttribute(string module)
    {
        if (!Python.HasModule(module))
        {
            Skip = $"Python module '{module}' not available: '{Python.Executable} -c \"import {module}\"' failed " +
                   $"(install it, e.g. apt-get install python3-{module}, to run this check)";
        }
    }
}

/// <summary>A theory that needs a Python module under Debian's <c>/usr/bin/python3</c>; skipped as <see cref="PythonModuleFactAttribute"/> is.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class PythonModuleTheoryAttribute : TheoryAttribute
{
    public PythonModuleTheoryAttribute(string module)
    {
        if (!Python.HasModule(module))
        {
            Skip = $"Python module '{module}' not available: '{Python.Executable} -c \"import {module}\"' failed " +
                   $"(install it, e.g. apt-get install python3-{module}, to run this check)";
        }
    }
}
