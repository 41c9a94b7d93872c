using System.CommandLine;
using Google.Protobuf;
using QuantUNet.Integer;
using QuantUNet.Integer.Format;
using QuantUNet.Onnx;
using QuantUNet.Onnx.Torch;
using QuantUNet.Torch.Persistence;

namespace QuantUNet.Cli.Commands;

/// <summary>
/// <c>quantunet export</c>: a trained QuantU-Net model file to the packed integer model the engine runs
/// (qint), or to ONNX: the integer datapath as QDQ (onnx), as QONNX for FINN (qonnx), or the float network (onnx-float).
/// </summary>
internal static class ExportCommand
{
    private const string Qint = "qint", Onnx = "onnx", OnnxFloat = "onnx-float", Qonnx = "qonnx";
    private const string Int8 = "int8", Int4 = "int4";

    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "A trained QuantU-Net model file (.qunet), e.g. quantunet-demo/quantunet.qunet.", Required = true };
        var output = new Option<FileInfo>("--out") { Description = $"The file to write ({IntegerModelFile.Extension} for qint, .onnx otherwise).", Required = true };
        var size = new Option<int>("--size") { Description = "The image side to record in the integer model's header (0: the side the model was trained at).", DefaultValueFactory = _ => 0 };
        var format = new Option<string>("--format")
        {
            Description = "qint: the bit-packed integer model; onnx: ONNX QDQ (int8 containers, Clip to each layer's width) for ONNX Runtime and ML.NET; " +
                          "qonnx: ONNX with QONNX Quant nodes for FINN; onnx-float: the float network (quantization off) as ONNX.",
            DefaultValueFactory = _ => Qint,
        };
        format.AcceptOnlyFromAmong(Qint, Onnx, Qonnx, OnnxFloat);
        var weights = new Option<string>("--onnx-weights")
        {
            Description = "With --format onnx: int8 (fastest in ONNX Runtime) or int4 (layers of at most 4 weight bits as int4, opset 21: the smallest file).",
            DefaultValueFactory = _ => Int8,
        };
        weights.AcceptOnlyFromAmong(Int8, Int4);
        var command = new Command("export", "Export a trained QuantU-Net: a bit-packed integer model (weights at each layer's learned width, int32 biases, exact requantisation multipliers) or ONNX.")
        {
            model, output, size, format, weights,
        };
        command.SetAction(parse => UserErrors.Run(() =>
        {
            var source = parse.GetValue(model)!.FullName;
            var target = parse.GetValue(output)!.FullName;
            if (Directory.Exists(target)) throw new ArgumentException($"--out {target}: is a folder; give the file to write.");
            // Not the scoring check: the exported ONNX graphs do not pad, so a side stated for them is a multiple of 16.
            int side = parse.GetValue(size) is 0 ? 0 : DatasetOptions.CheckSize(parse.GetValue(size));
            var chosen = parse.GetValue(format)!;
            if (parse.GetValue(weights) == Int4 && chosen != Onnx) throw new ArgumentException($"--onnx-weights int4 applies to --format onnx only, not {chosen}.");
            if (chosen == OnnxFloat)
            {
                var (network, _) = ModelFile.Load(source);
                using (network)
                {
                    AtomicFile.WriteAllBytes(target, FloatModelExport.Export(network).ToByteArray());
                    Report(target, "float32 ONNX", network.Bitwidths().FloatSizeBytes);
                }
                return 0;
            }
            var package = ModelFile.LoadPackage(source);
            var stored = package.IntegerModel ?? throw new InvalidDataException(package.Description.Quantized
                ? $"{source}: holds no integer model (its export was refused at training); there is nothing to export."
                : $"{source}: a float baseline (quantization off) has no integer codes; give a QuantU-Net model.");
            // The integer model exported at training; --size only restates the side it records.
            var exported = side > 0 ? new IntegerModel(stored.Header with { NominalHeight = side, NominalWidth = side }, stored.Layers, stored.Metadata) : stored;
            if (chosen == Onnx) AtomicFile.WriteAllBytes(target, QdqExporter.Export(exported, parse.GetValue(weights) == Int4 ? QdqWeightStorage.Int4 : QdqWeightStorage.Int8).ToByteArray());
            else if (chosen == Qonnx) AtomicFile.WriteAllBytes(target, QonnxExporter.Export(exported).ToByteArray());
            else IntegerModelFile.Save(exported, target);
            Report(target, $"{chosen}, {exported.Layers.Count} layers, average {exported.Bitwidths.AverageWeightBits:F2} weight bits", package.Description.Bitwidths.FloatSizeBytes);
            return 0;
        }));
        return command;
    }

    private static void Report(string target, string what, long floatBytes)
    {
        long bytes = new FileInfo(target).Length;
        Console.WriteLine($"wrote {target} ({what}): {bytes:N0} bytes, {(double)bytes / floatBytes:P0} of the {floatBytes:N0} bytes of float32 weights");
    }
}
