namespace MambaServe.Engine.Loading.Config;

/// <summary>Size rules shared by both config formats.</summary>
internal static class VocabPadding
{
    /// <summary>Rounds <paramref name="vocab"/> up to a multiple of <paramref name="multiple"/>, as mamba_ssm does.</summary>
    public static int Pad(int vocab, int multiple) => checked((vocab + multiple - 1) / multiple * multiple);

    /// <summary>dt rank "auto": ceil(d_model / 16).</summary>
    public static int AutoDtRank(int dModel) => (dModel + 15) / 16;
}
