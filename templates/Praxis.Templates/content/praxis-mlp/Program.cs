// The seed program: Keras' MLP on MNIST, line for line.
//
//   inputs = Input(shape=(784,))
//   hidden = Dense(64, activation='relu')(inputs)
//   outputs = Dense(10, activation='softmax')(hidden)
//   model = Model(inputs, outputs)
//   model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
//   model.fit(x_train, y_train, epochs=5, batch_size=32)
//
// Run: dotnet run -c Release [-- --epochs N]
// MNIST is read from $PRAXIS_DATA/mnist, a data/mnist folder above the program, or the cache (~/.praxis/datasets),
// where it is downloaded when missing; offline, `praxis datasets import mnist DIR` puts a local copy there.
using Praxis;
using Praxis.Data;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

int epochs = args switch
{
    [] => 5,
    ["--epochs", var text] when int.TryParse(text, out int n) && n > 0 => n,
    _ => throw new ArgumentException($"Usage: dotnet run -c Release [-- --epochs N] (N > 0); got '{string.Join(' ', args)}'."),
};

var ((xTrain, yTrain), (xTest, yTest)) = Mnist.LoadData();   // images (N, 28, 28) in [0, 1], labels 0–9
xTrain = xTrain.Reshape(-1, 784);
xTest = xTest.Reshape(-1, 784);
yTrain = ToCategorical(yTrain, 10);
yTest = ToCategorical(yTest, 10);

var inputs = Input(shape: [784]);
var hidden = new Dense(64, activation: "relu").Apply(inputs);
var outputs = new Dense(10, activation: "softmax").Apply(hidden);
var model = new Model(inputs, outputs);
model.Compile(optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"]);
model.Summary();

model.Fit(xTrain, yTrain, epochs: epochs, batchSize: 32);
var result = model.Evaluate(xTest, yTest);
Console.WriteLine($"Test loss: {result["loss"]:F4} - test accuracy: {result["accuracy"]:F4}");

model.Save("mnist-mlp.praxis");   // architecture, weights and optimizer state; Model.Load reads it back
