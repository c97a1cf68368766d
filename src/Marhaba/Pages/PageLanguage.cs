using System.Globalization;
using System.Security.Claims;
using Marhaba.Assistance;
using Microsoft.AspNetCore.Localization;

namespace Marhaba.Pages;

/// <summary>
/// The language a page is read in: asked for in the address (?lang=ar), else the one the staff member chose (kept on
/// their account, carried in their sign-in), else the browser's, else English. Every page request runs in that
/// language's culture (numbers, dates, texts), and so does a live page's connection, which asks again with the same cookie.
/// </summary>
public static class PageLanguage
{
    public const string Query = "lang";
    public const string Claim = "lang";

    public static Language Of(HttpContext context) =>
        Asked(context) ?? Chosen(context.User) ?? TravellerLanguage.Chosen(null, context) ?? Language.en;

    /// <summary>The language the address asks for, if it names one we speak.</summary>
    public static Language? Asked(HttpContext context) => Parse(context.Request.Query[Query].ToString());

    /// <summary>The language a signed-in staff member chose for their account.</summary>
    public static Language? Chosen(ClaimsPrincipal user) => Parse(user.FindFirstValue(Claim));

    public static Language? Parse(string? value) =>
        Enum.TryParse<Language>(value, out var language) && Enum.IsDefined(language) && !int.TryParse(value, out _) ? language : null;

    /// <summary>The language of the page being rendered (the request's, or its live connection's, culture).</summary>
    public static Language Current => Parse(CultureInfo.CurrentUICulture.TwoLetterISOLanguageName) ?? Language.en;

    /// <summary>Each language named in itself, for the switch.</summary>
    public static readonly (Language Language, string Name)[] Names =
        [(Language.ar, "العربية"), (Language.fr, "Français"), (Language.it, "Italiano"), (Language.en, "English")];

    /// <summary>Pages (never the API, whose answers do not depend on the caller's language) run in the reader's culture.</summary>
    public static void UseFor(WebApplication app)
    {
        var cultures = Enum.GetValues<Language>().Select(TravellerLanguage.Culture).ToList();
        var options = new RequestLocalizationOptions
        {
            DefaultRequestCulture = new RequestCulture(TravellerLanguage.Culture(Language.en)),
            SupportedCultures = cultures, SupportedUICultures = cultures,
            RequestCultureProviders = [new CustomRequestCultureProvider(context =>
                Task.FromResult<ProviderCultureResult?>(new(TravellerLanguage.Culture(Of(context)).Name)))]
        };
        app.UseWhen(context => !context.Request.Path.StartsWithSegments("/api"), branch => branch.UseRequestLocalization(options));
    }
}
