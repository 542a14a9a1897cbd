using Praxis.Layers;
using Praxis.Models;

namespace Praxis.Examples;

/// <summary>Keras' simple MNIST convnet, shared by the example and its ONNX export test.</summary>
public static class MnistCnnModel
{
    /// <summary>Builds and compiles the convnet as keras.io does (Adam, categorical cross-entropy, accuracy).</summary>
    public static Sequential Build()
    {
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
        return model;
    }
}
