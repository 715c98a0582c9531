using Holdout.Inference;

namespace Holdout.Tests.Inference;

public sealed class PredictionInputsTests
{
    [Fact]
    public void Should_expand_folders_sorted_without_hidden_or_text_files_and_keep_the_given_order()
    {
        // Given a folder with images in subfolders, a hidden file, a hidden folder, a README and the files 'holdout embed' writes
        using var temp = new TempFolder();
        var b = temp.Write(Path.Combine("photos", "b.jpg"), TestImages.Jpeg(1));
        var a = temp.Write(Path.Combine("photos", "sub", "a.png"), TestImages.Png(2));
        var odd = temp.Write(Path.Combine("photos", "c.data"), [1, 2, 3]);
        temp.Write(Path.Combine("photos", ".hidden.jpg"), TestImages.Jpeg(3));
        temp.Write(Path.Combine("photos", ".cache", "x.jpg"), TestImages.Jpeg(4));
        temp.Write(Path.Combine("photos", "README.md"), "# photos"u8.ToArray());
        temp.Write(Path.Combine("photos", "feats.npy"), [0x93, (byte)'N']);
        temp.Write(Path.Combine("photos", "feats.jsonl"), "{}"u8.ToArray());
        var single = temp.Write("single.jpg", TestImages.Jpeg(5));
        var missing = Path.Combine(temp.Path, "missing.jpg");

        // When a file, the folder and a missing path are expanded
        var paths = PredictionInputs.Expand([single, Path.Combine(temp.Path, "photos"), missing]).ToList();

        // Then the file comes first, then the folder's files sorted (unknown extensions kept: content decides), then the missing path
        Assert.Equal([single, b, odd, a, missing], paths);
    }

    [Fact]
    public void Should_read_image_paths_from_the_first_column_of_a_manifest()
    {
        // Given a split.csv-style manifest with a comment, a header, a relative and an absolute path
        using var temp = new TempFolder();
        var relative = temp.Write(Path.Combine("images", "one.jpg"), TestImages.Jpeg(1));
        var absolute = temp.Write("two.jpg", TestImages.Jpeg(2));
        var csv = temp.Write("list.csv", System.Text.Encoding.UTF8.GetBytes($"# holdout split: seed=1\npath,label,split,group\nimages/one.jpg,a,test,0\n{absolute},b,test,1\n"));

        // When it is expanded
        var paths = PredictionInputs.Expand([csv]).ToList();

        // Then both images are listed, in order, as full paths
        Assert.Equal([relative, absolute], paths);

        // And a manifest without rows is a clear error
        var empty = temp.Write("empty.csv", "path\n"u8.ToArray());
        var error = Assert.Throws<HoldoutException>(() => PredictionInputs.Expand([empty]).ToList());
        Assert.Contains("lists no images", error.Message, StringComparison.Ordinal);
    }
}
