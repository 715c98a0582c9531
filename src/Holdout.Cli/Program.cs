using Holdout.Cli.Commands;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("holdout");
    config.AddCommand<EnvCommand>("env").WithDescription("Show the .NET runtime, engine versions, threads, native loading and offline pretrained models.");
});
return app.Run(args);
