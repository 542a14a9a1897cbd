// Saves a model to args[0] over and over, generation k with every weight equal to k, printing "saved k" after each
// save returns. CrashTests kills this process at a random moment and checks that the file still loads and holds one
// whole generation. With "--pause-ms N" it also prints "writing k" once generation (k ≥ 3) k's temporary file is complete
// and waits N ms before committing it, so the test can kill it mid-save for certain rather than by luck (on a fast
// disk the window between write and rename can be too short to hit at random).
using Praxis.IO;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

string path = args[0];
int pauseMs = args.Length >= 3 && args[1] == "--pause-ms" ? int.Parse(args[2]) : 0;
SetRandomSeed(1);
var input = Input(shape: [1024]);
var model = new Model(input, new Dense(1024, name: "big").Apply(new Dense(1024, name: "wide").Apply(input)), name: "crash_helper");
int generation = 0;
if (pauseMs > 0)
{
    AtomicFile.BeforeCommit = _ =>
    {
        if (generation < 3) return; // the first saves run at full speed, so there is a checkpoint to protect
        Console.WriteLine($"writing {generation}");
        Console.Out.Flush();
        Thread.Sleep(pauseMs);
    };
}
for (int k = 0; ; k++)
{
    generation = k;
    foreach (var w in model.Weights) w.Span.Fill(k);
    model.Save(path);
    Console.WriteLine($"saved {k}");
    Console.Out.Flush();
}
