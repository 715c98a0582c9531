namespace Holdout.Data;

/// <summary>How alike the images of a duplicate group are.</summary>
public enum DuplicateKind
{
    /// <summary>Every image in the group has exactly the same decoded pixels.</summary>
    Exact,

    /// <summary>The same photo re-encoded, resized or slightly edited: perceptual hashes within the thresholds.</summary>
    Near,
}
