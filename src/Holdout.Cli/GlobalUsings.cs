// The namespaces nearly every command file uses: the console toolkit, option attributes and invariant formatting.
global using System.ComponentModel;
global using System.Globalization;
global using Spectre.Console;
global using Spectre.Console.Cli;
