using Holdout.Data;
using Holdout.Models;
using Holdout.Runs;
using Holdout.Training;

var options = new TrainRunOptions(Data: args.Length > 0 ? args[0] : "samples/beans", ImageSize: 160);
var data = RunData.Prepare(options);                                  // one subfolder per class; 70/15/15, stratified, no duplicate across splits
using var setup = RunSetup.Create(options, data.Split);               // pretrained ResNet-18 + new head, its own preprocessing, loaders, loss
setup.Fit(new FineTune(epochs: 4, freezeEpochs: 1), [new EarlyStopping(patience: 3)]);   // the head first, then every layer
var test = setup.Evaluate(DataSplit.Test);                            // held-out images, never seen in training
Console.WriteLine($"test accuracy: {test.Accuracy:P1}");
ModelBundle.Save("quickstart.holdout", setup.Model);                  // weights + classes + preprocessing, one file
