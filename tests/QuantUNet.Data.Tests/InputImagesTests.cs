using System.Diagnostics;
using SkiaSharp;

namespace QuantUNet.Data.Tests;

/// <summary>
/// What counts as an input image (issue 15, items 2, 6 and 8): every format the decoder reads, regular files only, hidden
/// files and predict's own outputs left out, each real folder listed once, special files skipped and reported, every read bounded.
/// </summary>
[TestClass]
public sealed class InputImagesTests
{
    [TestMethod]
    public void EveryDecodableFormatIsListedAndHiddenFilesAreNot()
    {
        using var folder = new TempFolder();
        WriteImage(folder.File("a.png"), SKEncodedImageFormat.Png);
        WriteImage(folder.File("sub/b.webp"), SKEncodedImageFormat.Webp);
        WriteImage(folder.File("c.JPG"), SKEncodedImageFormat.Jpeg);
        WriteImage(folder.File("._a.png"), SKEncodedImageFormat.Png);
        File.WriteAllText(folder.File("notes.txt"), "not an image");

        var listing = InputImages.List(folder.Path);

        CollectionAssert.AreEqual(new[] { folder.File("a.png"), folder.File("c.JPG"), folder.File("sub/b.webp") }, listing.Files.ToArray());
        Assert.IsEmpty(listing.Skipped);
    }

    [TestMethod]
    public void SpecialFilesAndFolderLinksAreSkippedAndReportedWithoutBeingOpened()
    {
        using var folder = new TempFolder();
        WriteImage(folder.File("ok.png"), SKEncodedImageFormat.Png);
        MakeFifo(folder.File("fifo.png"));
        File.CreateSymbolicLink(folder.File("zero.png"), "/dev/zero");
        File.CreateSymbolicLink(folder.File("loop1.png"), folder.File("loop2.png"));
        File.CreateSymbolicLink(folder.File("loop2.png"), folder.File("loop1.png"));
        Directory.CreateSymbolicLink(folder.File("sub/again"), folder.Path);
        using var elsewhere = new TempFolder();
        WriteImage(elsewhere.File("patient/slice.png"), SKEncodedImageFormat.Png);
        Directory.CreateSymbolicLink(folder.File("patient"), elsewhere.File("patient"));
        Directory.CreateSymbolicLink(folder.File("same-patient"), elsewhere.File("patient"));

        var listing = InputImages.List(folder.Path);

        CollectionAssert.AreEqual(new[] { folder.File("ok.png"), folder.File("patient/slice.png") }, listing.Files.ToArray(),
            "a FIFO would hang a reader, /dev/zero would never end; a linked folder is listed once");
        var reasons = listing.Skipped.ToDictionary(s => Path.GetFileName(s.Path), s => s.Reason);
        StringAssert.StartsWith(reasons["fifo.png"], "0 bytes (an empty file, or not a regular file");
        StringAssert.StartsWith(reasons["zero.png"], "0 bytes");
        Assert.AreEqual("a symbolic link that loops or cannot be followed", reasons["loop1.png"]);
        Assert.AreEqual($"a symbolic link to the folder {folder.Path}, listed already; each folder is listed once", reasons["again"]);
        Assert.AreEqual($"a symbolic link to the folder {elsewhere.File("patient")}, listed already; each folder is listed once", reasons["same-patient"]);
        StringAssert.StartsWith(listing.SkippedSummary("DIR"), "DIR: skipped 6 entries that cannot be read as image files: ");
    }

    [TestMethod]
    public void ASparseFileOfThreeGigabytesIsRefusedFromItsSizeBeforeReading()
    {
        using var folder = new TempFolder();
        string path = folder.File("huge.png");
        using (var file = File.Create(path))
            file.SetLength(3L << 30);
        long before = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ImageFile.ReadImage(path, 1));

        Assert.AreEqual($"{path}: 3221225472 bytes, more than the 1073741824 an image file may have; refused before reading.", error.Message);
        Assert.IsLessThan(1L << 20, GC.GetAllocatedBytesForCurrentThread() - before, "nothing of the file was read");
        CollectionAssert.Contains(InputImages.List(folder.Path).Files.ToArray(), path, "listed, so that reading it fails naming it rather than skipping it quietly");
    }

    [TestMethod]
    public void ScoringInputsLeaveOutMasksOverlaysAndTheOutputFolder()
    {
        using var folder = new TempFolder();
        foreach (var name in new[] { "scan.png", "scan_mask.png", "scan_overlay.png", "out/old.png", "ground_MASK.tif" })
            WriteImage(folder.File(name), SKEncodedImageFormat.Png);

        var inputs = InputImages.ToScore(folder.Path, folder.File("out"));

        CollectionAssert.AreEqual(new[] { folder.File("scan.png") }, inputs.Files.ToArray());
    }

    [TestMethod]
    public void FolderReaderReadsWebpImagesAndReportsMasksWithoutAnImage()
    {
        using var folder = new TempFolder();
        WriteImage(folder.File("p/a.webp"), SKEncodedImageFormat.Webp);
        WriteImage(folder.File("p/a_mask.png"), SKEncodedImageFormat.Png);
        WriteImage(folder.File("p/b_mask.png"), SKEncodedImageFormat.Png);
        WriteImage(folder.File("p/c_mask.png"), SKEncodedImageFormat.Png);

        var contents = ImageFolderDataset.Survey(folder.Path);

        Assert.AreEqual("p/a", contents.Pairs.Single().Name, "a WebP image is an image like any other");
        Assert.AreEqual($"{folder.Path}: 2 mask files have no image and are not read: {folder.File("p/b_mask.png")}, {folder.File("p/c_mask.png")}.",
            contents.Warnings.Single());
    }

    private static void WriteImage(string path, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(4, 4, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.Erase(new SKColor(200, 200, 200));
        using var image = SKImage.FromBitmap(bitmap);
        File.WriteAllBytes(path, image.Encode(format, 100).ToArray());
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.AreEqual(0, mkfifo.ExitCode, "mkfifo failed");
    }
}
