using System.Collections;
using System.Globalization;
using System.Resources;
using System.Text.RegularExpressions;

namespace Marhaba.Tests.Pages;

/// <summary>
/// The pages' words come from resources, in Arabic, French, Italian and English: a key missing in one language, a
/// translation that drops or adds a placeholder, or a page asking for a key no resource holds fails here (a missing key
/// would otherwise show its bare name to the reader).
/// </summary>
public partial class every_text_is_in_four_languages
{
    internal static readonly string[] Families = ["Marhaba.Pages.StaffTexts", "Marhaba.Assistance.TravellerTexts"];
    private static readonly string[] Translations = ["ar", "fr", "it"];

    /// <summary>The texts of one resource family in one language, as the server ships them (no fallback to English).</summary>
    internal static Dictionary<string, string> Texts(string family, CultureInfo culture)
    {
        var set = new ResourceManager(family, typeof(Marhaba.Pages.StaffTexts).Assembly).GetResourceSet(culture, createIfNotExists: true, tryParents: false);
        set.ShouldNotBeNull($"{family} has no {culture.Name} resources");
        return set.Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string)e.Value!);
    }

    private static string Placeholders(string text) => string.Join(",", PlaceholderPattern().Matches(text).Select(m => m.Value).Distinct().Order());

    [Fact]
    public void every_key_has_a_translation_in_every_language_with_the_same_placeholders()
    {
        var problems = new List<string>();
        foreach (var family in Families)
        {
            var english = Texts(family, CultureInfo.InvariantCulture);
            english.Count.ShouldBeGreaterThan(50, family);
            foreach (var language in Translations)
            {
                var translated = Texts(family, CultureInfo.GetCultureInfo(language));
                problems.AddRange(english.Keys.Except(translated.Keys).Select(k => $"{family}: '{k}' has no {language} text"));
                problems.AddRange(translated.Keys.Except(english.Keys).Select(k => $"{family}: '{k}' is in {language} only"));
                problems.AddRange(translated.Where(t => string.IsNullOrWhiteSpace(t.Value)).Select(t => $"{family}: '{t.Key}' is empty in {language}"));
                problems.AddRange(translated.Where(t => english.TryGetValue(t.Key, out var e) && Placeholders(e) != Placeholders(t.Value))
                    .Select(t => $"{family}: '{t.Key}' in {language} has placeholders {Placeholders(t.Value)}, English {Placeholders(english[t.Key])}"));
            }
        }
        problems.ShouldBeEmpty();
    }

    [Fact]
    public void every_key_a_page_or_the_desk_asks_for_is_in_the_resources()
    {
        var known = Families.SelectMany(f => Texts(f, CultureInfo.InvariantCulture).Keys).ToHashSet();
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "Marhaba.sln"))) root = root.Parent ?? throw new DirectoryNotFoundException("Marhaba.sln");
        var sources = Directory.EnumerateFiles(Path.Combine(root.FullName, "src", "Marhaba"), "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".razor") || f.EndsWith(".js") || f.EndsWith(".cs")).Where(f => !f.Contains("/bin/") && !f.Contains("/obj/"));
        var asked = new List<(string File, string Key)>();
        foreach (var file in sources)
            asked.AddRange(KeyPattern().Matches(File.ReadAllText(file)).Select(m => (Path.GetFileName(file), m.Groups["key"].Value)));
        asked.Count.ShouldBeGreaterThan(200);
        asked.Where(a => !known.Contains(a.Key)).Select(a => $"{a.File} asks for '{a.Key}'").Distinct().ShouldBeEmpty();
    }

    // T["Key"], T("Key"), Texts["Key"], Words["Key"], t('Key'): a literal key (keys built from an enum's name are checked
    // by the pages × languages test, which reads every page in every language).
    [GeneratedRegex("""\b(?:T|Texts|Words|t|w)\s*[\[(]\s*["'](?<key>[A-Z][A-Za-z]+_[A-Za-z_-]+)["']""")]
    private static partial Regex KeyPattern();

    [GeneratedRegex(@"\{\d+(?::[^}]*)?\}")]
    private static partial Regex PlaceholderPattern();
}
