using Marhaba.Assistance;

namespace Marhaba.Pages;

/// <summary>The language a page is read in: asked for in the address (?lang=ar), else the browser's, else English.</summary>
public static class PageLanguage
{
    public const string Query = "lang";

    public static Language Of(HttpContext context) =>
        Enum.TryParse<Language>(context.Request.Query[Query].ToString(), out var asked) && Enum.IsDefined(asked)
            ? asked
            : TravellerLanguage.Chosen(null, context) ?? Language.en;

    /// <summary>Each language named in itself, for the switch.</summary>
    public static readonly (Language Language, string Name)[] Names =
        [(Language.ar, "العربية"), (Language.fr, "Français"), (Language.it, "Italiano"), (Language.en, "English")];
}
