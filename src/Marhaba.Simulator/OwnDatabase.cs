using Npgsql;

namespace Marhaba.Simulator;

/// <summary>The benchmark and the simulator each start from an empty database of their own in the embedded cluster.</summary>
public static class OwnDatabase
{
    public static async Task<string> RecreateAsync(string database)
    {
        var cluster = Hosting.EmbeddedPostgres.ForWorkingTree();
        var admin = await cluster.EnsureStartedAsync("postgres");
        await using var conn = new NpgsqlConnection(admin + ";Pooling=false");
        await conn.OpenAsync();
        await new NpgsqlCommand($"drop database if exists {database} with (force)", conn).ExecuteNonQueryAsync();
        await new NpgsqlCommand($"create database {database}", conn).ExecuteNonQueryAsync();
        return cluster.ConnectionString(database);
    }
}
