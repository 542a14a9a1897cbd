// keras.io's simple MNIST convnet (keras.io/examples/vision/mnist_convnet), line for line:
//
//   model = keras.Sequential([
//       keras.Input(shape=(28, 28, 1)),
//       layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
//       layers.MaxPooling2D(pool_size=(2, 2)),
//       layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
//       layers.MaxPooling2D(pool_size=(2, 2)),
//       layers.Flatten(),
//       layers.Dropout(0.5),
//       layers.Dense(num_classes, activation="softmax"),
//   ])
//   model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
//   model.fit(x_train, y_train, batch_size=128, epochs=15, validation_split=0.1)
//
// As the repository's examples/MnistCnn: 12 epochs on all 60,000 training images (about 99.2 % test accuracy).
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
    [] => 12,
    ["--epochs", var text] when int.TryParse(text, out int n) && n > 0 => n,
    _ => throw new ArgumentException($"Usage: dotnet run -c Release [-- --epochs N] (N > 0); got '{string.Join(' ', args)}'."),
};

var ((xTrain, yTrain), (xTest, yTest)) = Mnist.LoadData();   // images (N, 28, 28) in [0, 1], labels 0–9
xTrain = xTrain.Reshape(-1, 28, 28, 1);                       // channels last, as np.expand_dims(x, -1)
xTest = xTest.Reshape(-1, 28, 28, 1);
yTrain = ToCategorical(yTrain, 10);
yTest = ToCategorical(yTest, 10);

var model = new Sequential(
[
    new InputLayer([28, 28, 1]),
    new Conv2D(32, kernelSize: (3, 3), activation: "relu"),
    new MaxPooling2D(poolSize: (2, 2)),
    new Conv2D(64, kernelSize: (3, 3), activation: "relu"),
    new MaxPooling2D(poolSize: (2, 2)),
    new Flatten(),
    new Dropout(0.5f),
    new Dense(10, activation: "softmax"),
]);
model.Compile(optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"]);
model.Summary();

model.Fit(xTrain, yTrain, epochs: epochs, batchSize: 128);
var result = model.Evaluate(xTest, yTest, batchSize: 128);
Console.WriteLine($"Test loss: {result["loss"]:F4} - test accuracy: {result["accuracy"]:F4}");

model.Save("mnist-cnn.praxis");   // architecture, weights and optimizer state; Model.Load reads it back
