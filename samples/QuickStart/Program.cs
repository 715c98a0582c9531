using Holdout.Data;
using Holdout.Imaging;
using Holdout.Models;
using Holdout.Training;

var dataset = DatasetDiscovery.Discover(args.Length > 0 ? args[0] : "samples/beans");   // one subfolder per class
var split = Splitter.Split(dataset).Manifest;                                          // 70/15/15, stratified, no duplicate across splits
using var model = ModelFactory.Create(new ModelOptions(Architecture.ResNet18, split.ClassNames, ImageSize: 160, Weights: "bundled"));
var prep = model.Spec.Preprocessing;                                                   // the backbone's own normalisation
var train = BatchLoader.ForTraining(split.Samples(DataSplit.Train), prep, new(Augmentation: AugmentationOptions.Standard));
var val = BatchLoader.ForEvaluation(split.Samples(DataSplit.Validation), prep);
using var trainer = new Trainer(model, callbacks: [new EarlyStopping(patience: 3)]);
model.FreezeBackbone();                                                                // first the new head alone...
trainer.Fit(train, val, new TrainingPhase("head", 1, [new ParameterGroup(model.ParameterGroups()[^1], 1e-3)]));
model.Unfreeze();                                                                      // ...then every layer, gently
trainer.Fit(train, val, new TrainingPhase("all", 3, [.. model.ParameterGroups().Select(g => new ParameterGroup(g, 2e-4))]));
var test = Evaluator.Predict(model, BatchLoader.ForEvaluation(split.Samples(DataSplit.Test), prep));
Console.WriteLine($"test accuracy: {test.Accuracy:P1}");
ModelBundle.Save("quickstart.holdout", model);                                        // weights + classes + preprocessing, one file
