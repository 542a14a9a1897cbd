// Serves a model that Praxis exported (praxis export, or model.ExportOnnx) with ONNX Runtime alone: no Praxis here.
// Run: dotnet run -c Release --project examples/ServeOnnx -- MODEL.onnx [--images IDX] [--labels IDX] [--count N]
// Defaults read the MNIST test set shipped in data/mnist; the model must be an MNIST classifier (seed-mlp, mnist-cnn).
return ServeOnnx.ServeApp.Run(args, Console.Out);
