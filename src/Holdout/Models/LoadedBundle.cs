using System.Text.Json.Nodes;

namespace Holdout.Models;

/// <summary>A model read back from a bundle, with what was saved beside it.</summary>
/// <param name="Model">The classifier, in evaluation mode, with its spec, class names and options.</param>
/// <param name="Metadata">The caller's metadata saved with it (e.g. training options, metrics); empty when none was given.</param>
/// <param name="LibraryVersion">The Holdout version that wrote the bundle.</param>
/// <param name="ContentSha256">The verified SHA-256 of the bundle's content (description and weights).</param>
public sealed record LoadedBundle(ImageClassifier Model, JsonObject Metadata, string LibraryVersion, string ContentSha256);
