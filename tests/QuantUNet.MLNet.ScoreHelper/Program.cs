// Usage: QuantUNet.MLNet.ScoreHelper MODEL.zip INPUT.tsv SCORES.bin [SCORING_MODE]
//        QuantUNet.MLNet.ScoreHelper --load-without-segmentation MODEL.zip
// INPUT.tsv has a header row naming text columns (the model's input columns, e.g. ImagePath and MaskPath).
// Writes every row's Score values as little-endian float32, one row after another, and prints the scoring mode:
// the saved one, or SCORING_MODE (e.g. Integer) when given.
// --load-without-segmentation loads as a host that never calls Segmentation() would, in a fresh process: it prints
// the exception chain outermost first ("chain: Type: message" lines), then calls Segmentation() on the same MLContext
// and loads again; exit 0 when the first load failed and the second worked.
using Microsoft.ML;
using Microsoft.ML.Data;
using QuantUNet.MLNet;

if (args is ["--load-without-segmentation", var path])
    return LoadWithoutSegmentation(path);
if (args.Length is not (3 or 4))
{
    Console.Error.WriteLine("usage: QuantUNet.MLNet.ScoreHelper MODEL.zip INPUT.tsv SCORES.bin [SCORING_MODE]");
    return 2;
}
var (modelPath, inputPath, scoresPath) = (args[0], args[1], args[2]);

var mlContext = new MLContext();
mlContext.Segmentation(); // the one step a fresh MLContext needs before loading a QuantU-Net
var model = mlContext.Model.Load(modelPath, out _);
if (args.Length == 4)
{
    var mode = Enum.Parse<ScoringMode>(args[3]);
    model = model.WithScoringMode(mode);
}

var header = File.ReadLines(inputPath).First().Split('\t');
var loader = mlContext.Data.CreateTextLoader(
    [.. header.Select((name, index) => new TextLoader.Column(name, DataKind.String, index))], separatorChar: '\t', hasHeader: true);
var scored = model.Transform(loader.Load(inputPath));

using var output = new BinaryWriter(File.Create(scoresPath));
var segmentation = ((TransformerChain<ITransformer>)model).OfType<QuantUNetTransformer>().Single();
foreach (var row in scored.GetColumn<float[]>(segmentation.ScoreColumnName))
{
    foreach (float value in row)
        output.Write(value);
}
Console.WriteLine($"scoring mode {segmentation.ScoringMode}, average weight bits {segmentation.Description.Bitwidths.AverageWeightBits:F2}");
return 0;

static int LoadWithoutSegmentation(string modelPath)
{
    var mlContext = new MLContext();
    try
    {
        mlContext.Model.Load(modelPath, out _);
        Console.WriteLine("loaded without Segmentation()");
        return 1;
    }
    catch (Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
            Console.WriteLine($"chain: {e.GetType().FullName}: {e.Message}");
    }
    mlContext.Segmentation();
    var model = mlContext.Model.Load(modelPath, out _);
    Console.WriteLine($"loaded after Segmentation(): {((TransformerChain<ITransformer>)model).OfType<QuantUNetTransformer>().Count()} QuantU-Net transformer");
    (model as IDisposable)?.Dispose();
    return 0;
}
