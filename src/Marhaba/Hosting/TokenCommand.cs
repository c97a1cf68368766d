using JasperFx.CommandLine;

namespace Marhaba.Hosting;

public class TokenInput : NetCoreInput
{
    [Description("Subject (staff id) of the token")]
    public string SubjectFlag { get; set; } = "demo-user";

    [Description("Role: port-staff, agent, planner, admin or operator")]
    public string RoleFlag { get; set; } = Roles.PortStaff;

    [Description("Ports (UN/LOCODE) the staff member works at, comma separated")]
    public string PortsFlag { get; set; } = "";

    [Description("The ferry company an operator's booking system works for, as sailings name it (e.g. GNV)")]
    public string CompanyFlag { get; set; } = "";

    [Description("Narrows an operator to these lines of its company (route codes, e.g. ITGOA-MAPTM), comma separated")]
    public string LinesFlag { get; set; } = "";

    [Description("Print a token for each demo user instead")]
    public bool DemoFlag { get; set; }
}

[Description("Mints a staff bearer token signed with this installation's key")]
public class TokenCommand : JasperFxAsyncCommand<TokenInput>
{
    public TokenCommand() => Usage("Mint one token").Arguments();

    public override async Task<bool> Execute(TokenInput input)
    {
        using var host = input.BuildHost();
        var issuer = host.Services.GetRequiredService<TokenIssuer>();
        await using var session = host.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession();
        // A subject with an account gets a token of the account as it is (its role, places and security stamp).
        async Task<Staff.StaffAccount?> AccountOf(string subject) => await session.LoadAsync<Staff.StaffAccount>(subject.ToLowerInvariant());
        if (input.DemoFlag)
        {
            foreach (var (subject, roles, ports, company) in TokenIssuer.DemoUsers)
                Console.WriteLine($"{subject,-18} {(await AccountOf(subject) is { } account ? issuer.MintFor(account) : issuer.Mint(subject, roles, ports, company: company))}");
            return true;
        }
        if (await AccountOf(input.SubjectFlag) is { } existing)
        {
            Console.WriteLine(issuer.MintFor(existing));
            return true;
        }
        if (!Roles.All.Contains(input.RoleFlag))
        {
            await Console.Error.WriteLineAsync($"Unknown role '{input.RoleFlag}': use one of {string.Join(", ", Roles.All)}.");
            return false;
        }
        if (input.RoleFlag == Roles.Operator && string.IsNullOrWhiteSpace(input.CompanyFlag))
        {
            await Console.Error.WriteLineAsync("An operator's token names its company: --company GNV (as its sailings name it).");
            return false;
        }
        Console.WriteLine(issuer.Mint(input.SubjectFlag, [input.RoleFlag],
            input.PortsFlag.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            input.LinesFlag.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            company: string.IsNullOrWhiteSpace(input.CompanyFlag) ? null : input.CompanyFlag.Trim()));
        return true;
    }
}
