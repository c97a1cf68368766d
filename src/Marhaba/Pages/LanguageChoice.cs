using System.Security.Claims;
using Marhaba.Hosting;
using Marhaba.Staff;
using Marten;
using Microsoft.AspNetCore.Authentication;

namespace Marhaba.Pages;

/// <summary>A staff member picks their language once: it is kept on their account, for every device they sign in on.</summary>
public static class LanguageChoice
{
    public const string Route = "/staff/language";

    public static void MapTo(WebApplication app) =>
        app.MapPost(Route, async ([Microsoft.AspNetCore.Mvc.FromForm(Name = "lang")] string? lang, [Microsoft.AspNetCore.Mvc.FromForm(Name = "returnUrl")] string? returnUrl,
                HttpContext context, IDocumentStore store, StaffAccess access) =>
            {
                var back = returnUrl is { } url && url.StartsWith('/') && !url.StartsWith("//") && !url.StartsWith("/\\") ? url : "/staff";
                if (PageLanguage.Parse(lang) is not { } language) return Results.Problem(Problems.BadRequest("lang", "lang must be one of ar, fr, it, en."));
                var login = context.User.StaffId();
                await using (var session = store.LightweightSession())
                {
                    if (await session.LoadAsync<StaffAccount>(login, context.RequestAborted) is not { } account) return Results.Redirect("/signin");
                    account.Language = language;
                    session.Store(account);
                    await session.SaveChangesAsync(context.RequestAborted);
                }
                access.Forget(login);
                // The same session, now carrying the language: the cookie is written again with the same issue and
                // expiry times (choosing a language never lengthens a sign-in), nothing else changes.
                var identity = (ClaimsIdentity)context.User.Identity!;
                if (identity.FindFirst(PageLanguage.Claim) is { } old) identity.RemoveClaim(old);
                identity.AddClaim(new Claim(PageLanguage.Claim, language.ToString()));
                var signedIn = await context.AuthenticateAsync(StaffSignIn.Scheme);
                await context.SignInAsync(StaffSignIn.Scheme, context.User, signedIn.Properties);
                return Results.LocalRedirect(back);
            })
            .RequireAuthorization(new Microsoft.AspNetCore.Authorization.AuthorizeAttribute { AuthenticationSchemes = StaffSignIn.Scheme })
            .ExcludeFromDescription();
}
