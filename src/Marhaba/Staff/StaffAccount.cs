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
    /// <summary>An operator's ferry company (as sailings name it): it acts on that company's sailings only.</summary>
    public string? Company { get; set; }
    public string PasswordHash { get; set; } = "";
    public bool Disabled { get; set; }
    /// <summary>The language the pages speak to this person, once they chose one (else their browser's).</summary>
    public Assistance.Language? Language { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    /// <summary>Changes whenever what the account may do changes: every cookie and token made before is refused then.</summary>
    public string SecurityStamp { get; set; } = "";
    /// <summary>The stream of the account's changes (who changed what, when), for administrators.</summary>
    public Guid ChangesStreamId { get; set; }

    public static string NewStamp() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
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

    /// <summary>
    /// A new session's claims if the name and password match an enabled account; else null, whatever was wrong. An
    /// unknown name costs the same password check as a wrong password, so that timing tells no one which names exist.
    /// A language picked on the sign-in page becomes the account's.
    /// </summary>
    public async Task<ClaimsPrincipal?> CheckAsync(string? login, string? password, DateTimeOffset now, CancellationToken ct, Assistance.Language? picked = null)
    {
        if (string.IsNullOrWhiteSpace(login) || string.IsNullOrEmpty(password) || login.Length > 64 || password.Length > 128) return null;
        await using var session = store.LightweightSession();
        var account = await session.LoadAsync<StaffAccount>(login.Trim().ToLowerInvariant(), ct);
        var matches = Hasher.VerifyHashedPassword(account ?? Nobody, (account ?? Nobody).PasswordHash, password) != PasswordVerificationResult.Failed;
        if (account is null || account.Disabled || !matches) return null;
        var started = new StaffSession { Id = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)), Login = account.Id, StartedAt = now };
        session.Store(started);
        if (picked is not null && picked != account.Language)
        {
            account.Language = picked;
            session.Store(account);
        }
        await session.SaveChangesAsync(ct);
        return Principal(account, started.Id);
    }

    /// <summary>Ends the session of this principal (signing out): its cookie and the tokens its pages were given.</summary>
    public async Task EndAsync(ClaimsPrincipal user, DateTimeOffset now, CancellationToken ct)
    {
        if (user.FindFirstValue(StaffAccess.SessionClaim) is not { } sid) return;
        await using var session = store.LightweightSession();
        if (await session.LoadAsync<StaffSession>(sid, ct) is not { EndedAt: null } open) return;
        open.EndedAt = now;
        session.Store(open);
        await session.SaveChangesAsync(ct);
    }

    // Checked against when the name is unknown: the same work as a wrong password.
    private static readonly StaffAccount Nobody = new() { Id = "nobody", PasswordHash = Hasher.HashPassword(new StaffAccount(), NewPassword()) };

    public static ClaimsPrincipal Principal(StaffAccount account, string sessionId)
    {
        var claims = new List<Claim>
        {
            new(Claims.Subject, account.Id), new(Claims.Role, account.Role), new("name", account.Name),
            new(StaffAccess.StampClaim, account.SecurityStamp), new(StaffAccess.SessionClaim, sessionId)
        };
        claims.AddRange(account.Ports.Select(p => new Claim(Claims.Port, p)));
        claims.AddRange(account.Lines.Select(l => new Claim(Claims.Line, l)));
        if (account.Company is not null) claims.Add(new(Claims.Company, account.Company));
        if (account.Language is { } language) claims.Add(new(Pages.PageLanguage.Claim, language.ToString()));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme, Claims.Subject, Claims.Role));
    }

    public static void AddTo(IServiceCollection services, AuthenticationBuilder authentication)
    {
        services.AddSingleton<StaffSignIn>();
        services.AddSingleton<StaffAccess>();
        // The API never reads the cookie (no cross-site request can act with it); the pages never read a token.
        authentication.AddPolicyScheme(TokenOrCookie, "Bearer token or staff cookie", scheme => scheme.ForwardDefaultSelector = context =>
            context.Request.Path.StartsWithSegments("/api") || context.Request.Headers.Authorization.Count > 0
                ? Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerDefaults.AuthenticationScheme
                : Scheme);
        authentication.AddCookie(Scheme, cookie =>
        {
            // Every page request is checked against the account and session as they are now.
            cookie.Events.OnValidatePrincipal = async context =>
            {
                if (context.Principal is null) return;
                var access = context.HttpContext.RequestServices.GetRequiredService<StaffAccess>();
                if (await access.WhyRefusedAsync(context.Principal, context.HttpContext.RequestAborted) is null) return;
                // Refused, not deleted: the browser keeps presenting it, so that every page it asks for says the
                // session ended (with the way back) until a new sign-in replaces it.
                context.RejectPrincipal();
            };
            // A browser that still sends a sign-in cookie the server no longer takes (signed out elsewhere, account
            // changed, expired) is told its session ended, with the way back to the page it asked for.
            var toSignIn = cookie.Events.OnRedirectToLogin;
            cookie.Events.OnRedirectToLogin = context =>
            {
                if (context.Request.Cookies.ContainsKey(cookie.Cookie.Name!)) context.RedirectUri += "&ended=true";
                return toSignIn(context);
            };
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

/// <summary>The demo's accounts, one per demo user, with passwords derived from this installation's signing key (written to a file only its owner reads, never printed).</summary>
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
            var account = new StaffAccount { Id = u.Subject, Name = u.Subject, Role = u.Roles[0], Ports = u.Ports, Company = u.Company, CreatedAt = now, CreatedBy = "demo", SecurityStamp = StaffAccount.NewStamp() };
            account.PasswordHash = StaffSignIn.Hash(account, PasswordOf(auth, u.Subject));
            return account;
        });
}
