// Saves a model to args[0] over and over, generation k with every weight equal to k, printing "saved k" after each
// save returns. CheckpointCrashTests kills this process at a random moment and checks that the file still loads and
// holds one whole generation.
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

string path = args[0];
SetRandomSeed(1);
var input = Input(shape: [1024]);
var model = new Model(input, new Dense(1024, name: "big").Apply(new Dense(1024, name: "wide").Apply(input)), name: "crash_helper");
for (int k = 0; ; k++)
{
    foreach (var w in model.Weights) w.Span.Fill(k);
    model.Save(path);
    Console.WriteLine($"saved {k}");
    Console.Out.Flush();
}
