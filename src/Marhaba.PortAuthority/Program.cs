namespace Marhaba.PortAuthority;

public static class Program
{
    public static Task Main(string[] args) => StandInAuthority.Build(args).RunAsync();
}
