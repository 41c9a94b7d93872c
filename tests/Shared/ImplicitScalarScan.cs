using System.Reflection;
using System.Reflection.Emit;

namespace QuantUNet.Tests.Shared;

/// <summary>
/// Finds the methods of an assembly that turn a number into a TorchSharp <c>Scalar</c> nobody holds: the implicit
/// conversion itself (<c>x.clamp(0, 1)</c>, <c>mask &gt; 0</c>) or a TorchSharp overload that makes one inside
/// (<c>randn(..) * 0.5</c> goes through <c>operator *(Tensor, double)</c>, <c>a + b</c> through <c>add(b, alpha: 1)</c>).
/// Such a Scalar is unreachable once its handle is read, so a garbage collection during the native call may finalize
/// and free it while libtorch still reads it: that crashed CI test hosts. Every such number must go through a Scalar
/// held for the call (ScalarArguments in QuantUNet.Torch; CONTRIBUTING.md, "TorchSharp arithmetic").
/// </summary>
internal static class ImplicitScalarScan
{
    private const BindingFlags Declared =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields()
        .Select(field => (OpCode)field.GetValue(null)!).ToDictionary(code => code.Value);

    private static readonly Dictionary<MethodBase, bool> MakesScalar = [];

    /// <summary>Fails naming every method of <paramref name="assembly"/> that makes an unheld Scalar.</summary>
    public static void AssertNone(Assembly assembly)
    {
        var offenders = UnheldScalars(assembly);
        Assert.IsEmpty(offenders, $"unheld Scalars in {assembly.GetName().Name}: " + string.Join("; ", offenders));
    }

    /// <summary>"Type.Method -> TorchSharp callee" for every call in <paramref name="assembly"/> that makes an unheld Scalar.</summary>
    public static List<string> UnheldScalars(Assembly assembly)
    {
        lock (MakesScalar) // the memo is shared by data rows that may run in parallel
            return (from type in assembly.GetTypes()
                    from method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared))
                    from callee in Callees(method)
                    where IsNumberToTensor(callee) || MakesUnheldScalar(callee)
                    select $"{type.Name}.{method.Name} -> {callee.DeclaringType?.Name}.{callee.Name}").Distinct().ToList();
    }

    /// <summary>
    /// A number made into a tensor by our code (<c>x.where(mask, 0)</c>): a temporary with the same fate as a Scalar.
    /// Not looked for inside TorchSharp, whose methods make one only to return it (<c>eq(null)</c> is false).
    /// </summary>
    private static bool IsNumberToTensor(MethodBase method) => method.DeclaringType == typeof(TorchSharp.torch.Tensor) && method.Name == "op_Implicit";

    /// <summary>Scalar's implicit conversion, or a TorchSharp method that calls one (directly or through other TorchSharp methods).</summary>
    private static bool MakesUnheldScalar(MethodBase method)
    {
        if (method.DeclaringType == typeof(TorchSharp.Scalar)) return method.Name == "op_Implicit";
        if (method.DeclaringType?.Assembly != typeof(TorchSharp.Scalar).Assembly) return false;
        if (MakesScalar.TryGetValue(method, out bool known)) return known;
        MakesScalar[method] = false; // a recursion back here adds nothing
        return MakesScalar[method] = Callees(method).Any(MakesUnheldScalar);
    }

    /// <summary>The methods <paramref name="method"/>'s IL calls, constructs or loads (call, callvirt, newobj, ldftn).</summary>
    private static IEnumerable<MethodBase> Callees(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int at = 0; at < il.Length;)
        {
            short value = il[at++];
            if (value == 0xFE) value = (short)(0xFE00 | il[at++]);
            var code = OpCodesByValue[value];
            if (code.OperandType == OperandType.InlineMethod)
                yield return method.Module.ResolveMethod(BitConverter.ToInt32(il, at), typeArguments, methodArguments)!;
            at += code.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
                _ => 4, // tokens, int32, float32 and branch offsets
            };
        }
    }
}

/// <summary>In every test project that uses TorchSharp: a test's own arithmetic can crash the test host, taking every later test with it.</summary>
[TestClass]
public sealed class ScalarLifetimeOfTheseTests
{
    [TestMethod]
    public void TheseTestsHoldTheScalarsTheyPassToLibtorch() => ImplicitScalarScan.AssertNone(typeof(ScalarLifetimeOfTheseTests).Assembly);
}
