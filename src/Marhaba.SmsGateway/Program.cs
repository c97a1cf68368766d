namespace Marhaba.SmsGateway;

public static class Program
{
    public static Task Main(string[] args) => StandInSmsGateway.Build(args).RunAsync();
}
