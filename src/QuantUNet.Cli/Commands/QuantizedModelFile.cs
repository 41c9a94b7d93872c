using QuantUNet.Torch.Model;
using QuantUNet.Torch.Persistence;

namespace QuantUNet.Cli.Commands;

/// <summary>Loads a model file that must hold a quantized model (export and bench have nothing to do with a float baseline).</summary>
internal static class QuantizedModelFile
{
    /// <exception cref="InvalidDataException">The file holds a float baseline; the message names it.</exception>
    public static (QuantUNetModel Model, ModelMetadata Metadata) Load(string path)
    {
        var (model, metadata) = ModelFile.Load(path);
        if (model.Quantize) return (model, metadata);
        model.Dispose();
        throw new InvalidDataException($"{path}: a float baseline (quantization off) has no integer codes; give a QuantU-Net model file such as quantunet.qunet.");
    }
}
