//! Arguments of `keyportal credential …`.

use clap::{Args, Subcommand};

use crate::cli::args::StorageArgs;
use crate::cli::outcome::OutputArgs;

#[derive(Debug, Args)]
pub struct CredentialArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(subcommand)]
    pub command: CredentialCommand,
}

/// The API key slot a key command works on.
#[derive(Debug, Args)]
pub struct SlotArgs {
    /// The credential's item id or client id
    pub id: String,
    /// The key slot: 1 or 2
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub slot: u8,
}

#[derive(Debug, Subcommand)]
pub enum CredentialCommand {
    /// Every credential with its owner and which keys are active.
    List,
    /// One credential (by item id or client id): privileges, referrers, both key slots.
    Show { id: String },
    /// Create API key credentials for a member; with --generate, key 1 is printed once.
    Create(CreateArgs),
    /// Change a credential's title, referrers, privileges, item access or key expirations.
    /// New privileges or item access deactivate both keys (as over REST).
    Update(UpdateArgs),
    /// Generate the key of an empty or inactive slot and print it once.
    Generate(SlotArgs),
    /// Replace the key of a slot (the old key stops at once) and print the new one once.
    Regenerate(SlotArgs),
    /// Stop the key of a slot at once.
    Invalidate(SlotArgs),
    /// Replace the key of a slot with a new key in the other slot (which must be inactive or
    /// expired), keeping the old key working for the grace; the new key is printed once.
    Roll(RollArgs),
    /// Show a credential's limits, or set them (a value of `unlimited` removes one).
    Limits(LimitsArgs),
    /// Delete a credential: its item, its registration and both keys.
    Delete { id: String },
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[arg(long)]
    pub title: String,
    /// The member who owns the credential (its keys act with at most their privileges)
    #[arg(long)]
    pub owner: String,
    /// A privilege, e.g. premium:user:geocode:temporary (repeat, or separate with commas)
    #[arg(long = "privilege", value_delimiter = ',')]
    pub privileges: Vec<String>,
    /// An item id the keys may access (repeat, or separate with commas)
    #[arg(long = "item", value_delimiter = ',')]
    pub items: Vec<String>,
    /// An allowed HTTP referrer, e.g. https://app.example.com (repeat; none = any referrer)
    #[arg(long = "referrer")]
    pub referrers: Vec<String>,
    /// An address or CIDR block the keys may be used from, e.g. 203.0.113.0/24 (repeat, or
    /// separate with commas; none = any address)
    #[arg(long = "address", value_delimiter = ',')]
    pub addresses: Vec<String>,
    #[arg(long)]
    pub description: Option<String>,
    /// Expiration of key 1 (YYYY-MM-DD, UTC midnight) [default: the server's key lifetime]
    #[arg(long)]
    pub key1_expires: Option<String>,
    /// Expiration of key 2 (YYYY-MM-DD, UTC midnight)
    #[arg(long)]
    pub key2_expires: Option<String>,
    /// Generate key 1 and print it once (it is never shown again)
    #[arg(long)]
    pub generate: bool,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The credential's item id or client id
    pub id: String,
    #[arg(long)]
    pub title: Option<String>,
    /// Replace the referrers (repeat); see --any-referrer to remove them all
    #[arg(long = "referrer", conflicts_with = "any_referrer")]
    pub referrers: Vec<String>,
    /// Allow any referrer
    #[arg(long)]
    pub any_referrer: bool,
    /// Replace the allowed addresses and CIDR blocks (repeat, or separate with commas); the
    /// keys stay active. See --any-address to remove them all
    #[arg(
        long = "address",
        value_delimiter = ',',
        conflicts_with = "any_address"
    )]
    pub addresses: Vec<String>,
    /// Allow any address
    #[arg(long)]
    pub any_address: bool,
    /// Replace the privileges (repeat, or separate with commas); item access is kept
    #[arg(long = "privilege", value_delimiter = ',')]
    pub privileges: Vec<String>,
    /// Replace the item access (repeat, or separate with commas); privileges are kept
    #[arg(long = "item", value_delimiter = ',', conflicts_with = "no_items")]
    pub items: Vec<String>,
    /// Remove all item access
    #[arg(long)]
    pub no_items: bool,
    /// New expiration of key 1 (YYYY-MM-DD); deactivates key 1 as over REST
    #[arg(long)]
    pub key1_expires: Option<String>,
    /// New expiration of key 2 (YYYY-MM-DD); deactivates key 2 as over REST
    #[arg(long)]
    pub key2_expires: Option<String>,
}

#[derive(Debug, Args)]
pub struct RollArgs {
    #[command(flatten)]
    pub slot: SlotArgs,
    /// How long the old key keeps working: seconds, or with a unit (90m, 24h, 7d); 0 to 30
    /// days [default: 0, the old key stops at once]
    #[arg(long, default_value = "0")]
    pub grace: String,
    /// Expiration of the new key (YYYY-MM-DD) [default: the server's key lifetime]
    #[arg(long)]
    pub expires: Option<String>,
}

#[derive(Debug, Args)]
pub struct LimitsArgs {
    /// The credential's item id or client id
    pub id: String,
    /// Requests per second on each node (a number, or `unlimited`)
    #[arg(long)]
    pub per_second: Option<String>,
    /// Requests per UTC day, all nodes together (a number, or `unlimited`)
    #[arg(long)]
    pub per_day: Option<String>,
    /// Requests per billing month, all nodes together (a number, or `unlimited`)
    #[arg(long)]
    pub per_month: Option<String>,
}
