using Holdout.Cli.Commands;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("holdout");
    config.AddCommand<SplitCommand>("split").WithDescription("Split a dataset into train/val/test (stratified, seeded, duplicates kept together) and write split.csv.");
    config.AddCommand<PreviewCommand>("preview").WithDescription("Write a grid PNG of the exact images one training batch feeds the model, with labels.");
    config.AddCommand<EnvCommand>("env").WithDescription("Show the .NET runtime, engine versions, threads, native loading and offline pretrained models.");
});
return app.Run(args);
