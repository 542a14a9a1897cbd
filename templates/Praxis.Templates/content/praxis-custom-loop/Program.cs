// Training written out, as a PyTorch user writes it: the model computes logits, the loop copies each shuffled batch
// into two tensors, runs forward, loss.Backward() and an optimizer step, and measures accuracy itself.
//
//   for epoch in range(epochs):
//       for x, y in loader:
//           loss = loss_fn(model(x), y)
//           optimizer.zero_grad(); loss.backward(); optimizer.step()
//
// Model.Fit does the same with callbacks, metrics and a captured graph; this loop is the place to change the step.
// Run: dotnet run -c Release [-- --epochs N]
// MNIST is read from $PRAXIS_DATA/mnist, a data/mnist folder above the program, or the cache (~/.praxis/datasets),
// where it is downloaded when missing; offline, `praxis datasets import mnist DIR` puts a local copy there.
using Praxis;
using Praxis.Data;
using Praxis.Layers;
using Praxis.Losses;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

int epochs = args switch
{
    [] => 5,
    ["--epochs", var text] when int.TryParse(text, out int n) && n > 0 => n,
    _ => throw new ArgumentException($"Usage: dotnet run -c Release [-- --epochs N] (N > 0); got '{string.Join(' ', args)}'."),
};
const int BatchSize = 32, Pixels = 28 * 28, Classes = 10;
SetRandomSeed(42);

var ((xTrain, yTrain), (xTest, yTest)) = Mnist.LoadData();   // images (N, 28, 28) in [0, 1], labels 0–9
xTrain = xTrain.Reshape(-1, Pixels);
xTest = xTest.Reshape(-1, Pixels);

var model = new Sequential([new InputLayer([Pixels]), new Dense(128, activation: "relu"), new Dense(Classes)]);
var lossFn = new SparseCategoricalCrossentropy(fromLogits: true);   // softmax and cross-entropy, fused and stable
var optimizer = new Adam(learningRate: 1e-3f);
var parameters = model.TrainableWeights;

int count = xTrain.Shape[0], steps = count / BatchSize;
int[] order = new int[count];
for (int i = 0; i < count; i++) order[i] = i;
var x = Tensor.Zeros(BatchSize, Pixels);   // one batch of images
var y = Tensor.Zeros(BatchSize);           // and their class ids

for (int epoch = 1; epoch <= epochs; epoch++)
{
    Rng.Global.Shuffle(order);
    double lossSum = 0;
    for (int step = 0; step < steps; step++)
    {
        for (int i = 0; i < BatchSize; i++)
        {
            int row = order[step * BatchSize + i];
            xTrain.CopyTo(x.Span.Slice(i * Pixels, Pixels), row * Pixels);
            yTrain.CopyTo(y.Span.Slice(i, 1), row);
        }
        var loss = lossFn.Compute(y, model.Apply(x, training: true));
        optimizer.ZeroGrad(parameters);
        loss.Backward();
        optimizer.Step(parameters);
        lossSum += loss.Item();
    }
    Console.WriteLine($"epoch {epoch}/{epochs}: loss {lossSum / steps:F4}, test accuracy {Accuracy(xTest, yTest):F4}");
}

// The share of images whose largest logit is their label; NoGrad: nothing is recorded for backward.
double Accuracy(Tensor images, Tensor labels)
{
    float[] predicted;
    using (Tensor.NoGrad()) predicted = model.Apply(images).ArgMax(axis: 1).ToArray();
    var truth = labels.ToArray();
    int correct = 0;
    for (int i = 0; i < truth.Length; i++)
        if (predicted[i] == truth[i]) correct++;
    return (double)correct / truth.Length;
}
