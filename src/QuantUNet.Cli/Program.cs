using System.CommandLine;
using QuantUNet.Cli.Batch;
using QuantUNet.Cli.Commands;

var root = new RootCommand("quantunet: train, evaluate and deploy QuantU-Net segmentation models (U-Nets with trained per-layer bitwidths).")
{
    DemoCommand.Create(),
    TrainCommand.Create(),
    EvaluateCommand.Create(),
    PredictCommand.Create(),
    ReportCommand.Create(),
    InfoCommand.Create(),
    ExportCommand.Create(),
    BenchCommand.Create(),
    SweepCommand.Create(),
    BatchCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
