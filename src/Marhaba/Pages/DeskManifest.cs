using Marhaba.Assistance;
using Microsoft.Extensions.Localization;

namespace Marhaba.Pages;

/// <summary>
/// The installable desk's manifest, in the language the desk was opened in (the page names it: a browser fetches a
/// manifest without the sign-in cookie), so the tablet's home screen reads "مكتب الرصيف" at Nador as "Quay desk" in Genova.
/// </summary>
public static class DeskManifest
{
    public const string Route = "/desk.webmanifest";

    public static string For(Language language) => $"{Route}?{PageLanguage.Query}={language}";

    public static void MapTo(WebApplication app) =>
        app.MapGet(Route, (IStringLocalizer<StaffTexts> t) =>
            {
                var language = PageLanguage.Current;
                return Results.Json(new
                {
                    name = t["Desk_AppName"].Value,
                    short_name = t["Desk_AppShortName"].Value,
                    description = t["Desk_AppDescription"].Value,
                    lang = language.ToString(),
                    dir = language == Language.ar ? "rtl" : "ltr",
                    start_url = "/desk",
                    scope = "/desk",
                    display = "standalone",
                    background_color = "#ffffff",
                    theme_color = "#0d5c2e",
                    icons = new object[]
                    {
                        new { src = "/desk-icon-192.png", sizes = "192x192", type = "image/png", purpose = "any" },
                        new { src = "/desk-icon-512.png", sizes = "512x512", type = "image/png", purpose = "any" },
                        new { src = "/desk-icon.svg", sizes = "any", type = "image/svg+xml", purpose = "any" },
                        new { src = "/desk-icon.svg", sizes = "any", type = "image/svg+xml", purpose = "maskable" }
                    }
                }, contentType: "application/manifest+json");
            })
            .AllowAnonymous()
            .ExcludeFromDescription();
}
