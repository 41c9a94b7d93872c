using System.CommandLine;
using QuantUNet.Cli.Bench;

namespace QuantUNet.Cli.Commands;

/// <summary><c>quantunet bench</c>: TorchSharp float, TorchSharp fake-quant, the integer engine and ONNX Runtime (float and QDQ exports) on the same images and threads.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for bench.json and the exported integer model.", Required = true };
        var model = new Option<FileInfo?>("--model") { Description = "A trained QuantU-Net model file (.qunet); without it a small model is trained first (seconds)." };
        var images = new Option<int>("--images") { Description = "Synthetic slices scored by each model.", DefaultValueFactory = _ => 32 };
        var size = new Option<int>("--size") { Description = "Image side in pixels (a multiple of 16).", DefaultValueFactory = _ => 128 };
        var threads = new Option<int>("--threads") { Description = "Threads for TorchSharp and the integer engine alike (0: all cores).", DefaultValueFactory = _ => 0 };
        var command = new Command("bench", "Measure throughput and agreement of the integer engine against TorchSharp float and fake-quant models and ONNX Runtime on the ONNX exports; write bench.json.")
        {
            output, model, images, size, threads,
        };
        command.SetAction(parse => UserErrors.Run(() =>
        {
            var directory = parse.GetValue(output)!.FullName;
            var report = BenchRun.Run(parse.GetValue(model)?.FullName, parse.GetValue(images), parse.GetValue(size), parse.GetValue(threads), directory, Console.WriteLine);
            var path = report.Write(directory);
            Console.WriteLine($"integer engine: {report.Integer.SpeedupOverTorchFloat:F2}x TorchSharp float throughput, mask agreement {report.Integer.MaskAgreement:P4}, " +
                              $"max accumulator error {report.Integer.MaxAccumulatorError:G3} LSB, {report.SizeRatio:F1}x smaller; wrote {path}");
            return 0;
        }));
        return command;
    }
}
