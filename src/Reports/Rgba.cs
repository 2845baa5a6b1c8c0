namespace ModuleService.Reports;

/// <summary>An 8-bit-per-channel colour; A = 255 is opaque.</summary>
public readonly record struct Rgba(byte R, byte G, byte B, byte A = 255)
{
    public static readonly Rgba White = new(255, 255, 255);
    public static readonly Rgba Black = new(0, 0, 0);
    public static readonly Rgba Transparent = new(0, 0, 0, 0);

    /// <summary>Perceived brightness in [0, 1] (Rec. 601 weights); used to pick readable text colours.</summary>
    public double Luminance => (0.299 * R + 0.587 * G + 0.114 * B) / 255.0;

    /// <summary>Linear mix: t = 0 gives this colour, t = 1 gives <paramref name="other"/>.</summary>
    public Rgba Lerp(Rgba other, double t)
    {
        t = Math.Clamp(t, 0, 1);
        return new Rgba(Mix(R, other.R, t), Mix(G, other.G, t), Mix(B, other.B, t), Mix(A, other.A, t));
    }

    private static byte Mix(byte a, byte b, double t) => (byte)Math.Round(a + (b - a) * t);

    public override string ToString() => $"#{R:X2}{G:X2}{B:X2}{A:X2}";
}
