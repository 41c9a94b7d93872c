using System.CommandLine;
using QuantUNet.Data;
using QuantUNet.Integer.Format;
using QuantUNet.Torch.Export;

namespace QuantUNet.Cli.Commands;

/// <summary><c>quantunet export</c>: a trained QuantU-Net model file to the packed integer model the engine runs.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "A trained QuantU-Net model file (.qunet), e.g. quantunet-demo/quantunet.qunet.", Required = true };
        var output = new Option<FileInfo>("--out") { Description = $"The integer model file to write ({IntegerModelFile.Extension}).", Required = true };
        var size = new Option<int>("--size") { Description = "The image side the model was trained at, recorded in the header (0: not recorded).", DefaultValueFactory = _ => 0 };
        var command = new Command("export", "Export a trained QuantU-Net to a bit-packed integer model: weights at each layer's learned width, int32 biases, exact requantisation multipliers.")
        {
            model, output, size,
        };
        command.SetAction(parse => UserErrors.Run(() =>
        {
            var source = parse.GetValue(model)!.FullName;
            var target = parse.GetValue(output)!.FullName;
            int side = parse.GetValue(size);
            if (side < 0) throw new ArgumentException($"--size {side}: the side cannot be negative.");
            var (trained, metadata) = QuantizedModelFile.Load(source);
            using (trained)
            {
                var exported = IntegerExporter.Export(trained, metadata, Path.GetFileName(source), side > 0 ? ImageSize.Square(side) : null);
                IntegerModelFile.Save(exported, target);
                long bytes = new FileInfo(target).Length, floatBytes = trained.Bitwidths().ParameterCount * 4;
                Console.WriteLine($"wrote {target}: {exported.Layers.Count} layers, average {exported.AverageWeightBits:F2} weight bits, " +
                                  $"{bytes:N0} bytes ({(double)floatBytes / bytes:F1}x smaller than {floatBytes:N0} bytes of float32 weights)");
            }
            return 0;
        }));
        return command;
    }
}
