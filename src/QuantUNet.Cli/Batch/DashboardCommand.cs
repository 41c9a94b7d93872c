using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Hangfire;
using Hangfire.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace QuantUNet.Cli.Batch;

/// <summary>
/// <c>quantunet batch dashboard</c>: Hangfire's dashboard over the queue. On 127.0.0.1 it serves local requests only
/// (Hangfire's default); on any other address it asks for HTTP Basic credentials, the password from configuration.
/// </summary>
internal static class DashboardCommand
{
    /// <summary>The configuration key of the dashboard password (<c>Dashboard__Password</c> as an environment variable).</summary>
    public const string PasswordKey = "Dashboard:Password";

    public const string User = "quantunet";

    public static Command Create()
    {
        var connection = BatchHost.ConnectionOption();
        var urls = new Option<string>("--urls")
        {
            Description = $"Where the dashboard listens (default http://127.0.0.1:5080). Any address other than 127.0.0.1, ::1 or localhost requires HTTP Basic authentication as {User} with the password {PasswordKey} (environment: Dashboard__Password).",
            DefaultValueFactory = _ => "http://127.0.0.1:5080",
        };
        var command = new Command("dashboard", "Serve Hangfire's dashboard of the batch queue: jobs by state, failures with their exceptions, servers, retries.") { connection, urls };
        command.SetAction(parse => BatchHost.Run(async () =>
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = Directory.GetCurrentDirectory() });
            BatchHost.AddBatch(builder, parse.GetValue(connection));
            var addresses = parse.GetValue(urls)!;
            builder.WebHost.UseUrls(addresses);
            IDashboardAuthorizationFilter authorization = LoopbackOnly(addresses)
                ? new LocalRequestsOnlyAuthorizationFilter()
                : new BasicAuthorization(builder.Configuration[PasswordKey] is { Length: > 0 } password
                    ? password
                    : throw new ArgumentException($"--urls {addresses}: a dashboard reachable from other machines needs a password ({PasswordKey} in appsettings.json or the environment variable Dashboard__Password)."));
            await using var app = builder.Build();
            app.UseHangfireDashboard("", new DashboardOptions { Authorization = [authorization], DashboardTitle = "quantunet batch" });
            Console.Error.WriteLine($"dashboard on {addresses}; Ctrl-C stops it");
            await app.RunAsync();
            return 0;
        }));
        return command;
    }

    private static bool LoopbackOnly(string addresses) => addresses.Split(';', StringSplitOptions.RemoveEmptyEntries).All(address =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri)
        && (uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip))));

    /// <summary>HTTP Basic credentials checked in constant time; a failed check asks the browser for them.</summary>
    private sealed class BasicAuthorization(string password) : IDashboardAuthorizationFilter
    {
        private readonly byte[] _expected = Encoding.UTF8.GetBytes($"{User}:{password}");

        public bool Authorize(DashboardContext context)
        {
            var http = context.GetHttpContext();
            var header = http.Request.Headers.Authorization.ToString();
            if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            {
                try
                {
                    if (CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(header["Basic ".Length..].Trim()), _expected)) return true;
                }
                catch (FormatException)
                {
                    // Not base64: refused like a wrong password.
                }
            }
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"quantunet batch\"";
            return false;
        }
    }
}
