//! Address restrictions (issue 14): a credential's `allowedAddresses` — IPv4/IPv6 addresses
//! and CIDR blocks — and the rule that decides which address a request comes from
//! ([`trusted`]). Matching is a mask and a compare on 128-bit integers: no allocation, no
//! parsing per request. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, what a dual-stack
//! socket reports for an IPv4 peer) is the IPv4 address, on both sides.

mod trusted;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::DomainError;
use crate::ids::shorten;

pub use trusted::TrustedProxies;

/// At most this many entries in a credential's `allowedAddresses`.
pub const MAX_ALLOWED_ADDRESSES: usize = 100;

/// An address or a CIDR block, held as the network's bits and the prefix length. IPv4 blocks
/// keep their 32-bit value in the low bits, flagged apart from IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressPattern {
    bits: u128,
    prefix: u8,
    v4: bool,
}

/// Why an entry is not an address or a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressError {
    NotAnAddress,
    BadPrefix { max: u8 },
    HostBitsSet { network: String },
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressError::NotAnAddress => {
                f.write_str("not an IPv4 or IPv6 address, nor a CIDR block such as 203.0.113.0/24")
            }
            AddressError::BadPrefix { max } => {
                write!(f, "the prefix length must be a number from 0 to {max}")
            }
            AddressError::HostBitsSet { network } => write!(
                f,
                "bits are set after the prefix; the block is written {network}"
            ),
        }
    }
}

/// The address as IPv4 when it is IPv4 or IPv4-mapped IPv6.
pub fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

fn mask(prefix: u8, width: u8) -> u128 {
    if prefix == 0 {
        return 0;
    }
    let ones = if width == 32 {
        u128::from(u32::MAX)
    } else {
        u128::MAX
    };
    ones & (u128::MAX << (width - prefix))
}

fn bits_of(address: IpAddr) -> (u128, bool) {
    match canonical(address) {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), true),
        IpAddr::V6(v6) => (u128::from(v6), false),
    }
}

impl AddressPattern {
    /// `203.0.113.7`, `203.0.113.0/24`, `2001:db8::/32`, `::ffff:203.0.113.7`. Bits after the
    /// prefix must be zero (a typo there would silently widen or move the block).
    pub fn parse(text: &str) -> Result<AddressPattern, AddressError> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| AddressError::NotAnAddress)?;
        // A mapped address with a prefix counts the prefix over the IPv6 form.
        let mapped = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some(),
            IpAddr::V4(_) => false,
        };
        let (bits, v4) = bits_of(address);
        let shift: u8 = if mapped { 96 } else { 0 };
        let width: u8 = if v4 { 32 } else { 128 };
        let prefix = match prefix {
            None => width,
            Some(p) => {
                let max = width + shift;
                let n: u8 = p
                    .parse()
                    .ok()
                    .filter(|n| *n <= max && p.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or(AddressError::BadPrefix { max })?;
                if n < shift {
                    // Wider than the mapped range: not something an IPv4 peer can be narrowed to.
                    return Err(AddressError::BadPrefix { max });
                }
                n - shift
            }
        };
        let pattern = AddressPattern {
            bits: bits & mask(prefix, width),
            prefix,
            v4,
        };
        if pattern.bits != bits {
            return Err(AddressError::HostBitsSet {
                network: pattern.to_string(),
            });
        }
        Ok(pattern)
    }

    /// The pattern for exactly one address.
    pub fn single(address: IpAddr) -> AddressPattern {
        let (bits, v4) = bits_of(address);
        AddressPattern {
            bits,
            prefix: if v4 { 32 } else { 128 },
            v4,
        }
    }

    /// Whether `address` is in the block.
    #[inline]
    pub fn matches(&self, address: IpAddr) -> bool {
        let (bits, v4) = bits_of(address);
        v4 == self.v4 && bits & mask(self.prefix, if v4 { 32 } else { 128 }) == self.bits
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    pub fn is_v4(&self) -> bool {
        self.v4
    }
}

impl fmt::Display for AddressPattern {
    /// The canonical form: an address alone when the block is one address.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (address, width) = if self.v4 {
            (IpAddr::V4(Ipv4Addr::from(self.bits as u32)), 32)
        } else {
            (IpAddr::V6(Ipv6Addr::from(self.bits)), 128)
        };
        if self.prefix == width {
            write!(f, "{address}")
        } else {
            write!(f, "{address}/{}", self.prefix)
        }
    }
}

/// Whether a request from `address` passes `patterns`: an empty list allows every request;
/// otherwise the address must be known and in one block.
#[inline]
pub fn matches_any(patterns: &[AddressPattern], address: Option<IpAddr>) -> bool {
    if patterns.is_empty() {
        return true;
    }
    match address {
        Some(address) => patterns.iter().any(|p| p.matches(address)),
        None => false,
    }
}

/// Parses and normalises `allowedAddresses`: at most [`MAX_ALLOWED_ADDRESSES`] entries, each
/// an address or a block, repeats dropped; the error names every bad entry.
pub fn check_addresses(values: &[String]) -> Result<Vec<String>, DomainError> {
    let values: Vec<&str> = values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    if values.len() > MAX_ALLOWED_ADDRESSES {
        return Err(DomainError::invalid_with(
            "Invalid allowedAddresses.",
            vec![format!(
                "At most {MAX_ALLOWED_ADDRESSES} addresses or blocks can be set; {} were given.",
                values.len()
            )],
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    let mut problems = Vec::new();
    for value in values {
        match AddressPattern::parse(value) {
            Ok(pattern) => {
                let text = pattern.to_string();
                if !out.contains(&text) {
                    out.push(text);
                }
            }
            Err(error) => problems.push(format!("'{}': {error}.", shorten(value))),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(DomainError::invalid_with(
            "Invalid allowedAddresses.",
            problems,
        ))
    }
}

/// Parses stored (already validated) patterns; one that no longer parses becomes a block
/// nothing matches, so a damaged list never widens access.
pub fn parse_stored(values: &[String]) -> Vec<AddressPattern> {
    values
        .iter()
        .map(|v| AddressPattern::parse(v).unwrap_or(NOTHING))
        .collect()
}

/// A block no request address matches (IPv6 `ff00::/128`... is multicast, never a peer;
/// flagged IPv4 with bits beyond 32 can never equal a masked IPv4 address).
const NOTHING: AddressPattern = AddressPattern {
    bits: u128::MAX,
    prefix: 32,
    v4: true,
};

#[cfg(test)]
mod tests;
