using System.Text;
using Holdout.Data;

namespace Holdout.Tests.Data;

public sealed class CsvTableTests
{
    [Fact]
    public void Should_read_rfc_4180_records_with_quotes_commas_and_line_breaks_inside_fields()
    {
        // Given CSV text with a quoted comma, a doubled quote, a line break inside quotes, CRLF endings, a comment and a blank line
        var text = "path,label\r\n# a comment\r\n\"a,b.jpg\",x\r\n\r\n\"say \"\"hi\"\".jpg\",\"two\nlines\"\r\nplain.jpg,y";

        // When it is parsed
        var rows = CsvTable.Parse(text, "t.csv");

        // Then the records, fields and starting lines are exact
        Assert.Equal(4, rows.Count);
        Assert.Equal(["path", "label"], rows[0].Fields);
        Assert.Equal(["a,b.jpg", "x"], rows[1].Fields);
        Assert.Equal(3, rows[1].Line);
        Assert.Equal(["say \"hi\".jpg", "two\nlines"], rows[2].Fields);
        Assert.Equal(5, rows[2].Line);
        Assert.Equal(["plain.jpg", "y"], rows[3].Fields);
        Assert.Equal(7, rows[3].Line);
    }

    [Fact]
    public void Should_refuse_a_quoted_field_that_never_closes_naming_the_file_and_line()
    {
        var error = Assert.Throws<HoldoutException>(() => CsvTable.Parse("a,b\n\"open,c\n", "bad.csv"));
        Assert.Contains("'bad.csv' line 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_escape_fields_so_that_they_read_back_unchanged()
    {
        // Given awkward fields, including one that starts with '#' and one with leading white space
        string[] fields = ["#hash.jpg", " space.jpg", "a,b", "q\"uote", "line\nbreak", "plain"];

        // When they are written as one record and read back
        var rows = CsvTable.Parse(string.Join(",", fields.Select(CsvTable.Escape)) + "\n", "t.csv");

        // Then they are the same
        Assert.Single(rows);
        Assert.Equal(fields, rows[0].Fields);
    }

    [Fact]
    public void Should_write_split_csv_as_plain_csv_with_the_header_on_line_one_and_read_it_back()
    {
        // Given a manifest with an awkward file name
        using var temp = new TempFolder();
        var image = temp.Write("images/#1, \"odd\".jpg", TestImages.Jpeg(1));
        var other = temp.Write("images/b.jpg", TestImages.Jpeg(2));
        var manifest = new SplitManifest([new SplitEntry(image, "a", DataSplit.Train, 0), new SplitEntry(other, "b", DataSplit.Test, 1)], 7, SplitRatios.Parse("70/15/15"), temp.Path);
        var path = Path.Combine(temp.Path, "split.csv");

        // When it is written and read
        manifest.Write(path);
        var read = SplitManifest.Read(path);

        // Then line 1 is the header, the metadata is in the sidecar, and everything round-trips
        Assert.Equal("path,label,split,group", File.ReadLines(path).First());
        Assert.Equal(manifest.Entries, read.Entries);
        Assert.Equal(7, read.Seed);
        Assert.Equal("70/15/15", read.Ratios!.ToString());
        Assert.True(File.Exists(SplitManifest.MetadataPath(path)));

        // And Python's csv.DictReader reads its first row (where Debian's python3 is installed)
        if (!File.Exists("/usr/bin/python3")) return;
        var python = Python.Run("import csv,sys; r=next(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8'))); print(r['path']+'|'+r['label']+'|'+r['split'])", path);
        Assert.True(python.ExitCode == 0, python.Errors);
        Assert.Equal("images/#1, \"odd\".jpg|a|train", python.Output.Trim());
    }

    [Fact]
    public void Should_still_read_a_split_csv_written_with_the_old_comment_line()
    {
        using var temp = new TempFolder();
        temp.Write("a.jpg", TestImages.Jpeg(1));
        var path = temp.Write("split.csv", Encoding.UTF8.GetBytes("# holdout split: seed=3 ratios=80/10/10 source=/data\npath,label,split,group\na.jpg,x,train,0\n"));

        var read = SplitManifest.Read(path);

        Assert.Equal(3, read.Seed);
        Assert.Equal("/data", read.Source);
        Assert.Single(read.Entries);
    }
}
