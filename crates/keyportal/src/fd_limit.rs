//! Open files: every connection holds a descriptor, and the usual soft limit (1024, e.g. under
//! systemd) is far below the connection bound, so the server would hit "too many open
//! files" long before it. At start the soft limit is raised as far as the bound needs, up to
//! the hard limit; if that is still too low the bound is lowered to fit, with a warning.

/// Descriptors kept for everything else: the listener, database connections, files.
const RESERVED: u64 = 128;

/// How many connections the server may hold, given that `wanted` are configured.
pub fn connections_allowed(wanted: usize) -> usize {
    #[cfg(unix)]
    {
        let soft = raise_soft_limit(wanted as u64 + RESERVED);
        let allowed = allowed_by(soft, wanted);
        if allowed < wanted {
            tracing::warn!(
                max_connections = wanted,
                open_files_limit = soft,
                "the open-files limit allows only {allowed} connections; raise it (ulimit -n, \
                 LimitNOFILE=) or lower max_connections"
            );
        }
        allowed
    }
    #[cfg(not(unix))]
    {
        wanted
    }
}

/// The connections a soft limit of `soft` descriptors leaves room for.
fn allowed_by(soft: u64, wanted: usize) -> usize {
    let room = soft.saturating_sub(RESERVED).max(soft / 2).max(1);
    usize::try_from(room).unwrap_or(usize::MAX).min(wanted)
}

/// Raises the soft limit towards `needed` (never above the hard limit); returns it.
#[cfg(unix)]
fn raise_soft_limit(needed: u64) -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    // `None` is unlimited.
    let soft = limit.current.unwrap_or(u64::MAX);
    if soft >= needed {
        return soft;
    }
    let target = needed.min(limit.maximum.unwrap_or(u64::MAX));
    if target <= soft {
        return soft;
    }
    let raised = Rlimit {
        current: Some(target),
        maximum: limit.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => target,
        Err(error) => {
            tracing::debug!(%error, "cannot raise the open-files limit");
            soft
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_fits_the_descriptors() {
        assert_eq!(allowed_by(1024, 10_000), 896);
        assert_eq!(allowed_by(1_048_576, 10_000), 10_000);
        assert_eq!(allowed_by(100, 10_000), 50);
        assert_eq!(allowed_by(0, 10_000), 1);
    }

    #[cfg(unix)]
    #[test]
    fn the_soft_limit_is_raised_when_it_can_be() {
        let before = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        let soft = raise_soft_limit(2_000);
        assert!(soft >= before.current.unwrap_or(u64::MAX).min(2_000));
        assert!(
            soft <= before
                .maximum
                .unwrap_or(u64::MAX)
                .max(before.current.unwrap_or(0))
        );
    }
}
