using System.Security.Claims;
using System.Security.Cryptography;
using Marhaba.Hosting;
using Marten;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;

namespace Marhaba.Staff;

/// <summary>
/// A staff member's account for the pages: who, in which role, at which ports or for which lines. The
/// password is kept only as ASP.NET Core's standard hash (PBKDF2 with a salt); an administrator creates,
/// disables and enables accounts. The API keeps its bearer tokens.
/// </summary>
public class StaffAccount
{
    /// <summary>The sign-in name, lower case.</summary>
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Role { get; set; } = "";
    public string[] Ports { get; set; } = [];
    public string[] Lines { get; set; } = [];
    public string PasswordHash { get; set; } = "";
    public bool Disabled { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
}

/// <summary>Signing staff in and out of the pages with a cookie; the server checks roles and places again on every page and action.</summary>
public sealed class StaffSignIn(IDocumentStore store)
{
    public const string Scheme = CookieAuthenticationDefaults.AuthenticationScheme;
    /// <summary>The default: a bearer token for the API (and wherever one is sent), the sign-in cookie for the pages.</summary>
    public const string TokenOrCookie = "token-or-cookie";
    private static readonly PasswordHasher<StaffAccount> Hasher = new();

    public static string Hash(StaffAccount account, string password) => Hasher.HashPassword(account, password);

    /// <summary>A password people can type from a printout: 4 groups of 4 symbols without look-alikes (~72 bits).</summary>
    public static string NewPassword() => string.Join("-", Enumerable.Range(0, 4).Select(_ => Crossings.Codes.NewAccessCode()[..4]));

    /// <summary>The account's claims if the name and password match an enabled account; else null, whatever was wrong.</summary>
    public async Task<ClaimsPrincipal?> CheckAsync(string? login, string? password, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(login) || string.IsNullOrEmpty(password) || login.Length > 64 || password.Length > 128) return null;
        await using var session = store.QuerySession();
        var account = await session.LoadAsync<StaffAccount>(login.Trim().ToLowerInvariant(), ct);
        if (account is null || account.Disabled) return null;
        if (Hasher.VerifyHashedPassword(account, account.PasswordHash, password) == PasswordVerificationResult.Failed) return null;
        return Principal(account);
    }

    public static ClaimsPrincipal Principal(StaffAccount account)
    {
        var claims = new List<Claim> { new(Claims.Subject, account.Id), new(Claims.Role, account.Role), new("name", account.Name) };
        claims.AddRange(account.Ports.Select(p => new Claim(Claims.Port, p)));
        claims.AddRange(account.Lines.Select(l => new Claim(Claims.Line, l)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme, Claims.Subject, Claims.Role));
    }

    public static void AddTo(IServiceCollection services, AuthenticationBuilder authentication)
    {
        services.AddSingleton<StaffSignIn>();
        // The API never reads the cookie (no cross-site request can act with it); the pages never read a token.
        authentication.AddPolicyScheme(TokenOrCookie, "Bearer token or staff cookie", scheme => scheme.ForwardDefaultSelector = context =>
            context.Request.Path.StartsWithSegments("/api") || context.Request.Headers.Authorization.Count > 0
                ? Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerDefaults.AuthenticationScheme
                : Scheme);
        authentication.AddCookie(Scheme, cookie =>
        {
            cookie.LoginPath = "/signin";
            cookie.AccessDeniedPath = "/signin";
            cookie.Cookie.Name = "marhaba-staff";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.ExpireTimeSpan = TimeSpan.FromHours(12);
            cookie.SlidingExpiration = false;
        });
    }
}

/// <summary>The demo's accounts, one per demo user, with passwords derived from this installation's signing key (printed at start, never stored).</summary>
public static class DemoAccounts
{
    public static string PasswordOf(AuthOptions auth, string subject)
    {
        var bytes = HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(auth.SigningKey!), System.Text.Encoding.UTF8.GetBytes("demo-account:" + subject));
        const string alphabet = "34679ACDEFGHJKMNPQRTWXY";
        var chars = bytes.Take(16).Select(b => alphabet[b % alphabet.Length]).ToArray();
        return string.Join("-", Enumerable.Range(0, 4).Select(i => new string(chars, i * 4, 4)));
    }

    public static IEnumerable<StaffAccount> For(AuthOptions auth, DateTimeOffset now) =>
        TokenIssuer.DemoUsers.Select(u =>
        {
            var account = new StaffAccount { Id = u.Subject, Name = u.Subject, Role = u.Roles[0], Ports = u.Ports, Lines = u.Lines, CreatedAt = now, CreatedBy = "demo" };
            account.PasswordHash = StaffSignIn.Hash(account, PasswordOf(auth, u.Subject));
            return account;
        });
}
