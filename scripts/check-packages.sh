#!/usr/bin/env bash
# Proves the packages from outside the repository, as a user would use them (issue 13, item 4):
#  1. a new console project adds QuantUNet.MLNet.Training and TorchSharp-cpu from the local feed, trains a tiny
#     QuantU-Net through the ML.NET API, saves, loads and scores it;
#  2. a second new console project adds only QuantUNet.MLNet, scores that model in integer mode, and its output
#     folder must hold no libtorch and no TorchSharp;
#  3. the tool installs into a tool path and runs `quantunet --version` and `quantunet info`.
# Our packages come from the local feed (unique prerelease versions, so no cached copy is ever used); third-party
# packages come from the sources of the repository's nuget.config.
#   scripts/check-packages.sh [FEED_DIR] [VERSION]     (defaults: artifacts/packages and its VERSION file)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
feed="$(cd "${1:-$repo/artifacts/packages}" && pwd)"
version="${2:-$(cat "$feed/VERSION")}"
work="$(mktemp -d "${TMPDIR:-/tmp}/quantunet-package-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo "checking QuantUNet $version from $feed in $work"

# The repository's sources with the local feed added first.
sed "s#<clear />#<clear />\n    <add key=\"quantunet-local\" value=\"$feed\" />#" "$repo/nuget.config" > "$work/nuget.config"

# 1. Train, save, load and score through the ML.NET API.
(cd "$work" && dotnet new console -o Train --force >/dev/null)
dotnet add "$work/Train" package QuantUNet.MLNet.Training --version "$version" >/dev/null
dotnet add "$work/Train" package TorchSharp-cpu --version 0.107.0 >/dev/null
cat > "$work/Train/Program.cs" <<'CS'
using Microsoft.ML;
using Microsoft.ML.Data;
using QuantUNet.Data;
using QuantUNet.MLNet;

string folder = args[0];
var samples = new SyntheticMriGenerator(new() { Size = ImageSize.Square(32), Seed = 1, SlicesPerPatient = 4 })
    .WriteDataset(16, Path.Combine(folder, "data"));
var rows = samples.Select(s => new Row
{
    ImagePath = Path.Combine(folder, "data", ImageFolderDataset.ImagesFolder, s.Name + ".png"),
    MaskPath = Path.Combine(folder, "data", ImageFolderDataset.MasksFolder, s.Name + ".png"),
}).ToList();

var ml = new MLContext(seed: 1);
var data = ml.Data.LoadFromEnumerable(rows);
var pipeline = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: "ImagePath")
    .Append(ml.Transforms.LoadImages("Mask", imageFolder: null, inputColumnName: "MaskPath"))
    .Append(ml.Transforms.ResizeImages("Image", 32, 32))
    .Append(ml.Transforms.ResizeImages("Mask", 32, 32))
    .Append(ml.Segmentation().Trainers.QuantUNet(new QuantUNetTrainer.Options
    {
        ImageColumnName = "Image", LabelColumnName = "Mask", BaseWidth = 4, Epochs = 2, BatchSize = 4, Seed = 7, Threads = 2,
    }));
var model = pipeline.Fit(data);
string modelPath = Path.Combine(folder, "model.zip");
ml.Model.Save(model, data.Schema, modelPath);

var fresh = new MLContext();
fresh.Segmentation();
var loaded = fresh.Model.Load(modelPath, out _);
var masks = loaded.Transform(fresh.Data.LoadFromEnumerable(rows)).GetColumn<bool[]>("PredictedLabel").ToList();
if (masks.Count != rows.Count || masks.Any(m => m.Length != 32 * 32)) throw new Exception("unexpected scores");
Console.WriteLine($"train: fitted, saved {new FileInfo(modelPath).Length:N0} bytes, loaded and scored {masks.Count} images");

public sealed class Row
{
    public string ImagePath { get; set; } = "";
    public string MaskPath { get; set; } = "";
}
CS
dotnet run --project "$work/Train" -c Release -- "$work"

# 2. Integer-mode scoring with QuantUNet.MLNet alone: no libtorch in the output.
(cd "$work" && dotnet new console -o Score --force >/dev/null)
dotnet add "$work/Score" package QuantUNet.MLNet --version "$version" >/dev/null
cat > "$work/Score/Program.cs" <<'CS'
using Microsoft.ML;
using Microsoft.ML.Data;
using QuantUNet.MLNet;

var ml = new MLContext();
ml.Segmentation();
var loaded = ml.Model.Load(args[0], out _);
var saved = ((IEnumerable<ITransformer>)loaded).OfType<QuantUNetTransformer>().Single();
using var quantUNet = saved.WithScoringMode(ScoringMode.Integer);
var images = Directory.GetFiles(args[1], "*.png").Order(StringComparer.Ordinal).Select(p => new Row { ImagePath = p }).ToList();
var scoring = ml.Transforms.LoadImages(quantUNet.ImageColumnName, imageFolder: null, inputColumnName: "ImagePath")
    .Append(ml.Transforms.ResizeImages(quantUNet.ImageColumnName, quantUNet.ImageWidth, quantUNet.ImageHeight))
    .Fit(ml.Data.LoadFromEnumerable<Row>([]))
    .Append(quantUNet);
var masks = scoring.Transform(ml.Data.LoadFromEnumerable(images)).GetColumn<bool[]>(quantUNet.PredictedLabelColumnName).ToList();
if (masks.Count != images.Count || images.Count == 0) throw new Exception("unexpected scores");
bool torchLoaded = AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name?.StartsWith("TorchSharp") == true);
if (torchLoaded) throw new Exception("TorchSharp was loaded");
Console.WriteLine($"score: {quantUNet.ScoringMode} mode, {masks.Count} masks, foreground {masks.Average(m => m.Count(p => p) / (double)m.Length):P1}");

public sealed class Row
{
    public string ImagePath { get; set; } = "";
}
CS
dotnet build "$work/Score" -c Release -o "$work/Score/out" --nologo -v q >/dev/null
torch_files="$(find "$work/Score/out" \( -iname '*torch*' -o -iname 'libc10*' \) | head -n 5)"
if [ -n "$torch_files" ]; then echo "the integer-only app's output holds TorchSharp/libtorch files:" >&2; echo "$torch_files" >&2; exit 1; fi
dotnet "$work/Score/out/Score.dll" "$work/model.zip" "$work/data/images"
echo "score: output folder $(du -sh "$work/Score/out" | cut -f1), no TorchSharp or libtorch file in it"

# 3. The tool, installed into a tool path.
dotnet tool install QuantUNet.Cli --version "$version" --tool-path "$work/tools" --configfile "$work/nuget.config" >/dev/null
"$work/tools/quantunet" --version
"$work/tools/quantunet" info
echo "tool: installed $(du -sh "$work/tools" | cut -f1) into a tool path"

# Our packages were extracted into the NuGet cache under a version no one else uses: remove them again.
for id in "$feed"/*.nupkg; do
  name="$(basename "$id" ".$version.nupkg" | tr '[:upper:]' '[:lower:]')"
  rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/$name/$version"
done
echo "package check passed: $version"
