//! How many connections may be open: in total, and from one client address. The accept loop
//! asks [`Gate::admit`] for each connection and closes it at once when refused; the
//! [`Pass`] it gets otherwise is held by the connection's task and frees its place when the
//! task ends (however it ends).
//!
//! IPv6 clients are counted per /64 (one host usually holds a whole /64); IPv4-mapped IPv6
//! addresses count as the IPv4 address.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The server holds its maximum of connections.
    Full,
    /// This address holds its maximum.
    AddressFull,
}

#[derive(Debug)]
pub struct Gate {
    max_total: usize,
    max_per_address: usize,
    open: Mutex<Open>,
    /// Woken when the last connection closes (a stopping server waits for it).
    emptied: Notify,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

/// A place among the open connections, given back when dropped.
#[derive(Debug)]
pub struct Pass {
    gate: Arc<Gate>,
    address: IpAddr,
}

/// The address a client is counted under.
fn counted_as(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

impl Gate {
    pub fn new(max_total: usize, max_per_address: usize) -> Arc<Gate> {
        Arc::new(Gate {
            max_total: max_total.max(1),
            max_per_address: max_per_address.max(1),
            open: Mutex::new(Open::default()),
            emptied: Notify::new(),
        })
    }

    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Pass, Refusal> {
        let address = counted_as(ip);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.total >= self.max_total {
            return Err(Refusal::Full);
        }
        let count = open.per_address.entry(address).or_insert(0);
        if *count >= self.max_per_address {
            return Err(Refusal::AddressFull);
        }
        *count += 1;
        open.total += 1;
        Ok(Pass {
            gate: self.clone(),
            address,
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).total
    }

    /// Resolves once no connection is open.
    pub async fn closed(&self) {
        loop {
            let emptied = self.emptied.notified();
            tokio::pin!(emptied);
            // Registered before the count is read, so a close in between is not missed.
            emptied.as_mut().enable();
            if self.open() == 0 {
                return;
            }
            emptied.await;
        }
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        let mut open = self.gate.open.lock().unwrap_or_else(|p| p.into_inner());
        open.total = open.total.saturating_sub(1);
        if open.total == 0 {
            self.gate.emptied.notify_waiters();
        }
        if let Some(count) = open.per_address.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.per_address.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn each_address_gets_its_share_and_places_come_back() {
        let gate = Gate::new(10, 2);
        let a1 = gate.admit(ip("10.0.0.1")).unwrap();
        let _a2 = gate.admit(ip("10.0.0.1")).unwrap();
        assert_eq!(
            gate.admit(ip("10.0.0.1")).unwrap_err(),
            Refusal::AddressFull
        );
        // The IPv4-mapped form is the same client.
        assert_eq!(
            gate.admit(ip("::ffff:10.0.0.1")).unwrap_err(),
            Refusal::AddressFull
        );
        let _b = gate.admit(ip("10.0.0.2")).unwrap();
        drop(a1);
        let _a3 = gate.admit(ip("10.0.0.1")).unwrap();
        assert_eq!(gate.open(), 3);
    }

    #[test]
    fn the_total_is_bounded() {
        let gate = Gate::new(3, 2);
        let passes: Vec<Pass> = ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
            .iter()
            .map(|a| gate.admit(ip(a)).unwrap())
            .collect();
        assert_eq!(gate.admit(ip("10.0.0.4")).unwrap_err(), Refusal::Full);
        drop(passes);
        assert_eq!(gate.open(), 0);
        assert!(gate.open.lock().unwrap().per_address.is_empty());
        assert!(gate.admit(ip("10.0.0.4")).is_ok());
    }

    #[test]
    fn ipv6_clients_count_per_64() {
        let gate = Gate::new(10, 1);
        let _one = gate.admit(ip("2001:db8:1:2::1")).unwrap();
        assert_eq!(
            gate.admit(ip("2001:db8:1:2:ffff::9")).unwrap_err(),
            Refusal::AddressFull
        );
        assert!(gate.admit(ip("2001:db8:1:3::1")).is_ok());
    }

    #[tokio::test]
    async fn closed_resolves_when_the_last_connection_ends() {
        let gate = Gate::new(10, 10);
        gate.closed().await;
        let first = gate.admit(ip("10.0.0.1")).unwrap();
        let second = gate.admit(ip("10.0.0.2")).unwrap();
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move { gate.closed().await }
        });
        drop(first);
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "one connection is still open");
        drop(second);
        tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("woken")
            .unwrap();
    }
}
