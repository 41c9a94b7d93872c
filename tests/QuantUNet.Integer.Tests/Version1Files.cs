using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using QuantUNet.Integer.Format;
using QuantUNet.Integer.Package;

namespace QuantUNet.Integer.Tests;

/// <summary>
/// Writers of the version 1 files nothing in the project writes any more, for the tests that prove those files still
/// load. Checked against a real version 1 <c>.qint</c> written by the previous build (<c>PreviousFormat/model.qint</c>).
/// </summary>
internal static class Version1Files
{
    private const int HashLength = 32;

    /// <summary>
    /// A version 1 <c>.qint</c>: the version 2 file's header and payload (unchanged between the versions) in the old
    /// framing: magic, int32 1, int32 header length, header, payload, SHA-256 of everything before it.
    /// </summary>
    public static byte[] IntegerModel(IntegerModel model)
    {
        var file = IntegerModelFile.Serialize(model);
        int headerLength = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(12));
        int payloadStart = 16 + headerLength + 8; // version 2 puts the payload section's int64 length before it
        byte[] version = [1, 0, 0, 0];
        byte[] body = [.. file.AsSpan(0, 8), .. version, .. file.AsSpan(12, 4 + headerLength), .. file.AsSpan(payloadStart, file.Length - HashLength - payloadStart)];
        return [.. body, .. SHA256.HashData(body)];
    }

    /// <summary>A version 1 model package: the description, the TorchSharp state and a whole version 1 <c>.qint</c> as its sections.</summary>
    public static byte[] Package(ModelDescription description, byte[] torchState, IntegerModel model) =>
        ChecksummedFrame.ToBytes(new ChecksummedFrame.Kind("QUNETPKG"u8.ToArray(), 1, "model package"),
            JsonSerializer.SerializeToUtf8Bytes(description, ChecksummedFrame.Json), [torchState, IntegerModel(model)]);
}
