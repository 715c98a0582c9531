namespace Holdout.Data;

/// <summary>How a dataset was laid out on disk.</summary>
public enum DatasetLayout
{
    /// <summary>One subfolder per class: <c>DATA/&lt;class&gt;/*</c>.</summary>
    ClassFolders,

    /// <summary>Already split: <c>DATA/{train,val|validation|valid,test}/&lt;class&gt;/*</c>.</summary>
    SplitFolders,

    /// <summary>A CSV manifest: <c>path,label[,split]</c>.</summary>
    CsvManifest,
}
