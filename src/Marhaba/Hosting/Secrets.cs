using System.Security.Cryptography;
using System.Text;

namespace Marhaba.Hosting;

/// <summary>Server-side secrets (token signing, access-code hashing): never in the database, never in the repository.</summary>
public static class Secrets
{
    /// <summary>
    /// The secret from configuration when set; for the embedded default, a random one kept in a file
    /// beside the private cluster; otherwise start-up stops and says what to set.
    /// </summary>
    public static string Resolve(IConfiguration configuration, string setting, EmbeddedPostgres? embedded, string fileName)
    {
        var value = configuration[setting];
        if (string.IsNullOrWhiteSpace(value) && embedded is not null)
        {
            var file = Path.Combine(Path.GetDirectoryName(embedded.DataDirectory)!, fileName);
            if (!File.Exists(file)) File.WriteAllText(file, Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)));
            value = File.ReadAllText(file).Trim();
        }
        if (string.IsNullOrWhiteSpace(value) || Encoding.UTF8.GetByteCount(value) < 32)
            throw new InvalidOperationException(
                $"{setting} must be set (at least 32 characters) when a connection string is configured: " +
                $"set the environment variable {setting.Replace(":", "__")}.");
        return value;
    }
}
