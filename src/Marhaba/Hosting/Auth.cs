using System.Security.Claims;
using System.Text;
using Marhaba.Ports;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Mvc;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Marhaba.Hosting;

/// <summary>The staff roles of the platform, as carried in the bearer token's <c>role</c> claims.</summary>
public static class Roles
{
    public const string PortStaff = "port-staff";
    public const string Agent = "agent";
    public const string Planner = "planner";
    public const string Admin = "admin";
    /// <summary>A ferry operator's booking system: books and cancels crossings.</summary>
    public const string Operator = "operator";

    public static readonly string[] All = [PortStaff, Agent, Planner, Admin, Operator];
}

/// <summary>Authorisation policies named after who may do a thing; admins may do everything.</summary>
public static class Policies
{
    public const string PortStaff = "PortStaff";
    public const string Booking = "Booking";
    public const string Planner = "Planner";
    public const string Agent = "Agent";
    public const string Staff = "Staff";
    /// <summary>Those who open assistance requests on someone's behalf: agents and port staff.</summary>
    public const string Helpers = "Helpers";
    public const string Admin = "Admin";
}

public sealed class AuthOptions
{
    public const string Section = "Auth";
    /// <summary>HMAC-SHA256 key for staff tokens, at least 32 bytes. Only from configuration or environment.</summary>
    public string? SigningKey { get; set; }
    /// <summary>
    /// Keys that signed tokens still in use while the key is rotated: accepted, never used to sign. Remove each once
    /// the longest token lifetime has passed since the new key took over (see ops/runbook.md).
    /// </summary>
    public string[] PreviousSigningKeys { get; set; } = [];
    public string Issuer { get; set; } = "marhaba";
    public string Audience { get; set; } = "marhaba";
}

public static class Claims
{
    public const string Role = "role";
    public const string Port = "port";
    /// <summary>The ferry company an operator's booking system works for (as sailings name it, e.g. GNV).</summary>
    public const string Company = "company";
    /// <summary>Lines (route codes, e.g. ITGOA-MAPTM) an operator's account is narrowed to, if any.</summary>
    public const string Line = "line";
    public const string Subject = "sub";

    public static string StaffId(this ClaimsPrincipal user) => user.FindFirstValue(Subject) ?? "unknown";

    /// <summary>Port staff act only at the ports named in their token; admins anywhere.</summary>
    public static bool CanActAt(this ClaimsPrincipal user, string portCode) =>
        user.IsInRole(Roles.Admin) ||
        user.FindAll(Port).Any(c => string.Equals(c.Value, portCode, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Operators book, cancel, rebook and keep traveller details only on their own company's sailings (several companies
    /// share a route), and, where their account names lines, only on those; admins on all.
    /// </summary>
    public static ProblemDetails? WhyNotOperator(this ClaimsPrincipal user, Sailings.Sailing sailing)
    {
        if (user.IsInRole(Roles.Admin)) return null;
        var company = user.FindFirstValue(Company);
        if (company is null || !string.Equals(company, sailing.Operator, StringComparison.OrdinalIgnoreCase))
            return Problems.Forbidden($"Your account works for {company ?? "no company"}; this is a sailing of {sailing.Operator}.");
        var lines = user.FindAll(Line).Select(c => c.Value).ToList();
        return lines.Count == 0 || lines.Contains(sailing.RouteCode, StringComparer.OrdinalIgnoreCase) ? null
            : Problems.Forbidden($"Your account works for the lines {string.Join(", ", lines)}, not for {sailing.RouteCode}.");
    }

    /// <summary>The same, for a sailing read by its id (a crossing's, or the one it moves to).</summary>
    public static async Task<ProblemDetails?> WhyNotOperatorAsync(this ClaimsPrincipal user, Marten.IQuerySession session, Guid sailingId, CancellationToken ct) =>
        user.IsInRole(Roles.Admin) ? null
        : await session.LoadAsync<Sailings.Sailing>(sailingId, ct) is { } sailing ? user.WhyNotOperator(sailing)
        : Problems.NotFound($"No sailing {sailingId}.");
}

/// <summary>Mints and validates the staff bearer tokens (standard JWT, HMAC-SHA256).</summary>
/// <remarks>Token lifetimes run on the wall clock, as the validation does, not on business time.</remarks>
public sealed class TokenIssuer(AuthOptions options)
{
    private readonly SymmetricSecurityKey _key = new(Encoding.UTF8.GetBytes(options.SigningKey!));

    public string Mint(string subject, IEnumerable<string> roles, IEnumerable<string>? ports = null, IEnumerable<string>? lines = null,
        TimeSpan? lifetime = null, string? stamp = null, string? session = null, string? company = null)
    {
        var claims = new List<Claim> { new(Claims.Subject, subject) };
        if (company is not null) claims.Add(new(Claims.Company, company));
        if (stamp is not null) claims.Add(new(Staff.StaffAccess.StampClaim, stamp));
        if (session is not null) claims.Add(new(Staff.StaffAccess.SessionClaim, session));
        claims.AddRange(roles.Select(r => new Claim(Claims.Role, r)));
        claims.AddRange((ports ?? []).Select(p => new Claim(Claims.Port, p.ToUpperInvariant())));
        claims.AddRange((lines ?? []).Select(l => new Claim(Claims.Line, l.ToUpperInvariant())));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(claims),
            Issuer = options.Issuer,
            Audience = options.Audience,
            Expires = DateTime.UtcNow.Add(lifetime ?? TimeSpan.FromHours(12)),
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.HmacSha256)
        });
    }

    /// <summary>A token for a staff account as it is now: its role and places, bound to its security stamp.</summary>
    public string MintFor(Staff.StaffAccount account, TimeSpan? lifetime = null) =>
        Mint(account.Id, [account.Role], account.Ports, account.Lines, lifetime, account.SecurityStamp, company: account.Company);

    public static void Configure(JwtBearerOptions jwt, AuthOptions options)
    {
        jwt.MapInboundClaims = false;
        // A valid signature is not enough: the account behind the token must still stand as it did (see StaffAccess).
        jwt.Events = new JwtBearerEvents
        {
            OnTokenValidated = async context =>
            {
                var access = context.HttpContext.RequestServices.GetRequiredService<Staff.StaffAccess>();
                if (await access.WhyRefusedAsync(context.Principal!, context.HttpContext.RequestAborted) is { } why) context.Fail(why);
            }
        };
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = options.Issuer,
            ValidAudience = options.Audience,
            IssuerSigningKeys = options.PreviousSigningKeys.Prepend(options.SigningKey!).Select(k => new SymmetricSecurityKey(Encoding.UTF8.GetBytes(k))),
            RoleClaimType = Claims.Role,
            NameClaimType = Claims.Subject,
            ClockSkew = TimeSpan.FromSeconds(30)
        };
    }

    public static AuthOptions ResolveOptions(IConfiguration configuration, EmbeddedPostgres? embedded)
    {
        var options = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        options.SigningKey = Secrets.Resolve(configuration, "Auth:SigningKey", embedded, "signing-key");
        return options;
    }

    /// <summary>The demo users printed by the run command and minted by the <c>token</c> command.</summary>
    public static IEnumerable<(string Subject, string[] Roles, string[] Ports, string? Company)> DemoUsers =>
    [
        ("staff-tanger-med", [Roles.PortStaff], ["MAPTM"], null),
        ("staff-nador", [Roles.PortStaff], ["MANDR"], null),
        ("staff-genova", [Roles.PortStaff], ["ITGOA"], null),
        ("agent-tanger-med", [Roles.Agent], ["MAPTM"], null),
        ("planner", [Roles.Planner], [], null),
        ("operator-gnv", [Roles.Operator], [], "GNV"),
        ("admin", [Roles.Admin], [], null),
    ];
}
