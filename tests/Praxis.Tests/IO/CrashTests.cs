using System.Diagnostics;
using Praxis.IO;

namespace Praxis.Tests.IO;

/// <summary>Kills a real child process while it is saving a checkpoint and checks the last complete save survives.</summary>
public class CrashTests
{
    [Fact]
    public void KillingTheWriterMidSaveLeavesTheLastCompleteCheckpoint()
    {
        string helper = Path.Combine(AppContext.BaseDirectory, "Praxis.CrashHelper.dll");
        Assert.True(File.Exists(helper), $"{helper} was not built next to the tests.");
        using var dir = new TempDir();
        string path = dir.File("ckpt.praxis");
        var rng = new Random(3);
        int killedMidSave = 0;
        for (int attempt = 0; attempt < 8 && killedMidSave < 2; attempt++)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
            psi.ArgumentList.Add(helper);
            psi.ArgumentList.Add(path);
            using var p = Process.Start(psi)!;
            int last = -1;
            try
            {
                // Let it complete a few saves, then kill it at a random moment in a later one.
                while (last < 2)
                {
                    string? line = p.StandardOutput.ReadLine();
                    Assert.NotNull(line);
                    last = int.Parse(line!["saved ".Length..]);
                }
                Thread.Sleep(rng.Next(1, 40));
            }
            finally { p.Kill(entireProcessTree: true); p.WaitForExit(); }
            while (p.StandardOutput.ReadLine() is { } line) last = int.Parse(line["saved ".Length..]);

            bool tornTemp = Directory.GetFiles(dir.Path, "ckpt.praxis.tmp-*").Length > 0;
            if (tornTemp) killedMidSave++;
            // Whatever the moment of death, the checkpoint is a whole generation: the last one reported, or the
            // next if it died after the rename but before printing.
            var file = SafeTensorsFile.Read(path);
            Assert.True(file.ChecksumVerified);
            var model = Praxis.Models.Model.Load(path);
            float k = model.Weights[0].Span[0];
            Assert.True(k == last || k == last + 1, $"checkpoint holds generation {k}; the writer had reported {last}");
            foreach (var w in model.Weights) Assert.All(w.ToArray(), v => Assert.Equal(k, v));
            foreach (var t in Directory.GetFiles(dir.Path, "ckpt.praxis.tmp-*")) File.Delete(t);
        }
        Assert.True(killedMidSave >= 1, "the writer was never caught mid-save (no torn temporary file seen)");
    }
}
