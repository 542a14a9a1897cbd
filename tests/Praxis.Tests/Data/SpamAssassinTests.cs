using Praxis.Data;

namespace Praxis.Tests.Data;

/// <summary>The shipped SpamAssassin corpus: complete, labelled by folder, and split the same way as the Python baseline.</summary>
public class SpamAssassinTests
{
    [Fact]
    public void LoadsEveryMessageAndSplitsReproducibly()
    {
        var all = SpamAssassin.Load();
        Assert.Equal(6046, all.Count);
        Assert.Equal(1896, all.Count(m => m.IsSpam));
        Assert.Equal(250, all.Count(m => m.Group == "hard-ham-1"));
        Assert.StartsWith("From ", all[0].Text);
        Assert.Equal("00001.7c53336b37003a9286aba55d2945844c.txt", all[0].File);
        // The counts bench/text-baseline/tfidf_logreg.py reports for seed 42.
        var (train, test) = SpamAssassin.Split(all, seed: 42);
        Assert.Equal(4853, train.Count);
        Assert.Equal(1193, test.Count);
        Assert.Equal(355, test.Count(m => m.IsSpam));
        var (train2, _) = SpamAssassin.Split(all, seed: 42);
        Assert.Equal(train.Select(m => m.File), train2.Select(m => m.File));
        var (_, other) = SpamAssassin.Split(all, seed: 7);
        Assert.NotEqual(test.Select(m => m.File), other.Select(m => m.File));
    }

    [Fact]
    public void ACorruptArchiveIsRefused()
    {
        using var dir = new Praxis.Tests.IO.TempDir();
        string bad = dir.File(SpamAssassin.FileName);
        File.WriteAllBytes(bad, [1, 2, 3]);
        var e = Assert.Throws<InvalidDataException>(() => SpamAssassin.Load(bad));
        Assert.Contains("SHA-256 mismatch", e.Message);
    }
}
