using Praxis.Callbacks;
using Praxis.IO;
using Praxis.Models;
using static Praxis.Keras;

namespace Praxis.Tests.IO;

[Collection("Global state")]
public class CheckpointTests
{
    private sealed class CrashAtEpoch(int epoch) : Callback
    {
        public override void OnEpochBegin(int e, IReadOnlyDictionary<string, double> logs)
        {
            if (e == epoch) throw new IOException($"simulated crash at the start of epoch {e}");
        }
    }

    [Fact]
    public void BackupAndRestoreResumesAnInterruptedFitExactly()
    {
        var (x, y) = SaveLoadTests.MnistSlice(256);
        SetRandomSeed(21);
        ClearSession();
        var straight = SaveLoadTests.SeedMlp();
        var full = straight.Fit(x, y, epochs: 4, batchSize: 32, verbose: 0, validationSplit: 0.25);

        using var dir = new TempDir();
        SetRandomSeed(21);
        ClearSession();
        var first = SaveLoadTests.SeedMlp();
        var backup = new BackupAndRestore(dir.Path);
        Assert.Throws<IOException>(() => first.Fit(x, y, epochs: 4, batchSize: 32, verbose: 0, validationSplit: 0.25, callbacks: [backup, new CrashAtEpoch(2)]));
        Assert.True(File.Exists(backup.BackupPath));

        // A new process: different seed, freshly initialised model of the same architecture.
        SetRandomSeed(777);
        ClearSession();
        var second = SaveLoadTests.SeedMlp();
        var rest = second.Fit(x, y, epochs: 4, batchSize: 32, verbose: 0, validationSplit: 0.25, callbacks: [backup]);
        Assert.Equal(2, backup.ResumedFromEpoch);
        Assert.Equal([2, 3], rest.Epochs);
        Assert.Equal(full["loss"].Skip(2), rest["loss"]);
        Assert.Equal(full["val_accuracy"].Skip(2), rest["val_accuracy"]);
        for (int i = 0; i < straight.Weights.Count; i++) Assert.Equal(straight.Weights[i].ToArray(), second.Weights[i].ToArray());
        Assert.False(File.Exists(backup.BackupPath)); // deleted once training completed
    }

    /// <summary>Counts how often a file changes (by its bytes) after each batch.</summary>
    private sealed class SaveCounter(string path) : Callback
    {
        private byte[]? _last;
        public int Saves { get; private set; }

        public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
        {
            if (!File.Exists(path)) return;
            var now = File.ReadAllBytes(path);
            if (_last == null || !now.AsSpan().SequenceEqual(_last)) Saves++;
            _last = now;
        }
    }

    [Fact]
    public void ModelCheckpointSavesEveryEpochOrOnlyTheBest()
    {
        var (x, y) = SaveLoadTests.MnistSlice(192);
        SetRandomSeed(5);
        ClearSession();
        var model = SaveLoadTests.SeedMlp();
        using var dir = new TempDir();
        var every = new ModelCheckpoint(Path.Combine(dir.Path, "e{epoch:02d}-{val_loss:.3f}.praxis"), monitor: "val_loss");
        var best = new ModelCheckpoint(dir.File("best.praxis"), monitor: "val_accuracy", saveBestOnly: true, saveWeightsOnly: true);
        var history = model.Fit(x, y, epochs: 3, batchSize: 32, verbose: 0, validationSplit: 0.25, callbacks: [every, best]);
        for (int e = 0; e < 3; e++)
            Assert.True(File.Exists(dir.File($"e{e + 1:00}-{history["val_loss"][e]:F3}.praxis")), $"epoch {e + 1} checkpoint");
        Assert.Equal(history["val_accuracy"].Max(), best.Best);
        var last = Model.Load(every.LastSavedPath!);
        Assert.Equal(model.Predict(x).ToArray(), last.Predict(x).ToArray());
        Assert.Equal("e03", Path.GetFileName(every.LastSavedPath!)[..3]);
        Assert.Equal("praxis.weights", SafeTensorsFile.Read(dir.File("best.praxis")).Metadata["format"]);

        // Every 3 batches (6 batches an epoch here): two saves an epoch, the last one at the epoch's end.
        var batches = new ModelCheckpoint(dir.File("b.praxis"), saveFreq: 3);
        var counter = new SaveCounter(dir.File("b.praxis"));
        model.Fit(x, y, epochs: 1, batchSize: 32, verbose: 0, callbacks: [batches, counter]);
        Assert.Equal(2, counter.Saves);
        Assert.Equal(model.Predict(x).ToArray(), Model.Load(dir.File("b.praxis")).Predict(x).ToArray());

        Assert.Equal("m-7-0.50.praxis", ModelCheckpoint.FormatPath("m-{epoch}-{acc:.2f}.praxis", 6, new Dictionary<string, double> { ["acc"] = 0.5 }));
        Assert.Throws<KeyNotFoundException>(() => ModelCheckpoint.FormatPath("{nope}", 0, new Dictionary<string, double>()));
    }

    [Fact]
    public void ACrashWhileSavingLeavesThePreviousCheckpointLoadable()
    {
        SetRandomSeed(9);
        ClearSession();
        var model = SaveLoadTests.SeedMlp();
        using var dir = new TempDir();
        string path = dir.File("ckpt.praxis");
        model.Save(path);
        var expected = model.Predict(Tensor.Ones(2, 784)).ToArray();

        // Change the weights, then die half-way through the next save: the temporary file is cut short and the
        // process never reaches the rename.
        foreach (var w in model.Weights) w.Span.Fill(0.125f);
        AtomicFile.BeforeCommit = tmp =>
        {
            using (var f = new FileStream(tmp, FileMode.Open, FileAccess.Write)) f.SetLength(f.Length / 2);
            throw new IOException("simulated power loss");
        };
        try { Assert.Throws<IOException>(() => model.Save(path)); }
        finally { AtomicFile.BeforeCommit = null; }

        var survivor = Model.Load(path);
        Assert.Equal(expected, survivor.Predict(Tensor.Ones(2, 784)).ToArray());

        // A torn file left by a killed writer under its temporary name is not mistaken for the checkpoint, and a torn
        // checkpoint (if someone copied one) is rejected with the file's name.
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path + ".tmp-999999-dead", bytes[..(bytes.Length / 3)]);
        Assert.Equal(expected, Model.Load(path).Predict(Tensor.Ones(2, 784)).ToArray());
        File.WriteAllBytes(dir.File("torn.praxis"), bytes[..(bytes.Length - 100)]);
        var e = Assert.Throws<InvalidDataException>(() => Model.Load(dir.File("torn.praxis")));
        Assert.StartsWith(dir.File("torn.praxis") + ": ", e.Message);
        model.Save(path); // the next successful save sweeps the stale temporary file of the dead process
        Assert.False(File.Exists(path + ".tmp-999999-dead"));
    }
}
