//! The command line, as clap derive types.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::duration::parse_duration;

/// Manage Noorle API keys and service accounts, check your setup, run the local server.
#[derive(Debug, Parser)]
#[command(name = "noorle", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// API base URL [default: $NOORLE_BASE_URL, the profile's base_url, https://api.noorle.com]
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// Profile of ~/.noorle/credentials to use [default: $NOORLE_PROFILE, `default`]
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Read the key from this file (wins over the environment)
    #[arg(long, global = true, value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,
    /// Print JSON for scripts instead of tables
    #[arg(long, global = true)]
    pub json: bool,
    /// Retries of transient failures (connection errors, 429, 5xx)
    #[arg(long, global = true, value_name = "N", default_value_t = 2)]
    pub max_retries: u32,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create, list and manage API keys
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCmd),
    /// Create, list and manage service accounts and their keys
    #[command(subcommand, name = "service-account")]
    ServiceAccount(ServiceAccountCmd),
    /// Show the key in use, as the server sees it
    Whoami,
    /// Explain the key in use: source, file mode, format, base URL, the server's view
    Doctor,
    /// Store a key in the profile file (~/.noorle/credentials, mode 0600)
    Login(LoginArgs),
    /// Run the local Noorle-compatible server
    DevServer(DevServerArgs),
    /// Find Noorle API keys in files or in a git repository's history (exit 1 when any is found)
    Scan(ScanArgs),
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCmd {
    /// Create a key for the calling principal; the key is printed once
    Generate(NewKeyArgs),
    /// List keys
    List(ListKeysArgs),
    /// Show one key
    Get { id: String },
    /// Rename a key
    Rename { id: String, name: String },
    /// Disable a key (it can be activated again)
    Deactivate { id: String },
    /// Re-enable an inactive key
    Activate { id: String },
    /// Disable a key for good
    Revoke { id: String },
    /// Remove a revoked key
    Delete { id: String },
    /// Replace a key by a new one; the old one keeps working for the grace period
    Rotate(RotateArgs),
}

#[derive(Debug, Args)]
pub struct NewKeyArgs {
    /// A name to recognise the key by
    #[arg(long)]
    pub name: String,
    /// Permissions, comma-separated [default: the creator's]
    #[arg(long, value_enum, value_delimiter = ',', value_name = "PERM,...")]
    pub permissions: Vec<PermissionArg>,
    /// Limit the key to resources: `agent:ID`, `gateway:ID` or `resource:ID` (repeatable,
    /// comma-separated) [default: account-wide]
    #[arg(long, value_delimiter = ',', value_name = "TYPE:ID")]
    pub scope: Vec<String>,
    /// Expiry as an RFC 3339 time, e.g. 2026-12-31T00:00:00Z
    #[arg(long, value_name = "TIME", conflicts_with = "expires_in")]
    pub expires_at: Option<String>,
    /// Expiry from now, e.g. 90d
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub expires_in: Option<Duration>,
    /// Requests per minute for this key [default: the server's]
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PermissionArg {
    Read,
    Execute,
    Manage,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusArg {
    Active,
    Inactive,
    Revoked,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OwnerTypeArg {
    User,
    ServiceAccount,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Owner,
    Admin,
    Developer,
    Viewer,
}

#[derive(Debug, Args)]
pub struct PageArgs {
    /// Items per page (1 to 100)
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
    /// Items to skip
    #[arg(long, value_name = "N")]
    pub offset: Option<u64>,
    /// Walk every page
    #[arg(long, conflicts_with = "limit")]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ListKeysArgs {
    #[arg(long, value_enum)]
    pub status: Option<StatusArg>,
    #[arg(long, value_enum)]
    pub owner_type: Option<OwnerTypeArg>,
    /// Only the keys of this service account
    #[arg(long, value_name = "ID")]
    pub service_account: Option<String>,
    /// Only keys created longer ago than this, e.g. 30d (walks every page)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration,
          conflicts_with_all = ["limit", "offset"])]
    pub older_than: Option<Duration>,
    #[command(flatten)]
    pub page: PageArgs,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The key to rotate [default: the key in use]
    pub id: Option<String>,
    /// How long the old key keeps working, e.g. 90s, 15m, 1h, 7d (at most 7d)
    #[arg(long, value_name = "DURATION", value_parser = parse_grace, default_value = "0s")]
    pub grace: Duration,
    /// Write the new key to this file (atomically, mode 0600) and verify it, instead of
    /// printing it
    #[arg(long, value_name = "FILE")]
    pub write_to: Option<PathBuf>,
    /// Rotate only when the key is at least this old, e.g. 30d; otherwise say "not due" and
    /// change nothing (exit 0 either way). Safe to run hourly, and twice at once on one host
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "write_to")]
    pub if_older_than: Option<Duration>,
}

fn parse_grace(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d > Duration::from_secs(7 * 24 * 3600) {
        return Err("the grace period is at most 7d".into());
    }
    Ok(d)
}

#[derive(Debug, Subcommand)]
pub enum ServiceAccountCmd {
    /// Create a service account; its first key is printed once
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// [default: developer]
        #[arg(long, value_enum)]
        role: Option<RoleArg>,
    },
    /// List service accounts
    List(PageArgs),
    /// Show one service account
    Get { id: String },
    /// Change a service account
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long, value_enum)]
        role: Option<RoleArg>,
        /// Enable it (its keys work again)
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
        /// Disable it (its keys are refused)
        #[arg(long)]
        disable: bool,
    },
    /// Delete a service account; its keys are revoked
    Delete { id: String },
    /// Create another key for a service account; the key is printed once
    CreateKey {
        id: String,
        #[command(flatten)]
        key: NewKeyArgs,
    },
    /// List a service account's keys
    ListKeys {
        id: String,
        #[command(flatten)]
        page: PageArgs,
    },
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Log in with an API key, read from stdin or a hidden prompt (never from the command line)
    #[arg(long, required = true)]
    pub api_key: bool,
}

#[derive(Debug, Args)]
pub struct DevServerArgs {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub bind: SocketAddr,
    /// SQLite database file [default: in memory, lost on exit]
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Enable the /_dev/faults and /_dev/requests control endpoints
    #[arg(long)]
    pub fault_injection: bool,
    /// Write a generated bootstrap key to this file (mode 0600) instead of printing it
    #[arg(long, value_name = "PATH")]
    pub root_key_file: Option<PathBuf>,
    /// Requests per minute for keys without their own limit
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub default_rate_limit: u32,
    /// Allow binding a non-loopback address (the control endpoints need no key)
    #[arg(long)]
    pub allow_non_loopback: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files and folders to scan (folders recursively, skipping .git and binary files); with
    /// --git, repositories [default: .]
    pub paths: Vec<PathBuf>,
    /// Scan every commit of the repository's history (lines added by any commit on any ref)
    #[arg(long)]
    pub git: bool,
    /// Ask the API which keys found are live (a 401 means revoked, inactive or expired); the
    /// secret is never printed
    #[arg(long)]
    pub verify: bool,
    /// Report format (--json is the same as --format json)
    #[arg(long, value_enum, default_value = "text")]
    pub format: ScanFormat,
    /// Skip files larger than this, in MiB, with a note
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub max_file_size: u64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ScanFormat {
    Text,
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards
    Sarif,
}
