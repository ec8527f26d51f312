//! `keyportal serve`.

use crate::cli::args::ServeArgs;
use crate::config::{
    parse_listen, parse_public_url, resolve_limits, resolve_metrics_listen, resolve_tls,
    EventTasks, FileConfig, ServeConfig, StorageConfig, DEFAULT_LISTEN,
};
use crate::server;

pub fn serve_config(args: ServeArgs) -> Result<ServeConfig, String> {
    let file = FileConfig::load(args.storage.config.as_deref()).map_err(|e| e.to_string())?;
    let storage = StorageConfig::resolve(args.storage.data_dir, args.storage.database, &file)
        .map_err(|e| e.to_string())?;
    let listen = args
        .listen
        .or_else(|| file.listen.clone())
        .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    let (connections, password_hashing) =
        resolve_limits(&args.limits, &file).map_err(|e| e.to_string())?;
    Ok(ServeConfig {
        listen: parse_listen(&listen).map_err(|e| e.to_string())?,
        tls: resolve_tls(args.tls_cert, args.tls_key, args.tls_self_signed, &file)
            .map_err(|e| e.to_string())?,
        portal_name: args
            .portal_name
            .or(file.portal_name.clone())
            .unwrap_or_else(|| "keyportal".into()),
        org_name: args
            .org_name
            .or(file.org_name.clone())
            .unwrap_or_else(|| "My Organization".into()),
        public_url: args
            .public_url
            .or(file.public_url.clone())
            .map(|url| parse_public_url(&url))
            .transpose()
            .map_err(|e| e.to_string())?,
        admin_password: std::env::var("KEYPORTAL_ADMIN_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty()),
        default_key_lifetime_days: match args
            .default_key_lifetime_days
            .or(file.default_key_lifetime_days)
        {
            None => 30,
            Some(days) if (1..=365).contains(&days) => days,
            Some(days) => return Err(format!("default key lifetime {days} days: use 1 to 365")),
        },
        trusted_proxies: keyportal_domain::address::TrustedProxies::parse(
            args.trusted_proxies
                .or(file.trusted_proxies.clone())
                .as_deref()
                .unwrap_or_default(),
        )
        .map_err(|e| format!("--trusted-proxies: {e}"))?,
        metrics_listen: resolve_metrics_listen(args.metrics_listen, &file)
            .map_err(|e| e.to_string())?,
        secret_scanning_keys: args
            .secret_scanning_keys
            .or(file.secret_scanning_keys.clone()),
        events: EventTasks {
            retention_days: match args.event_retention_days.or(file.event_retention_days) {
                Some(0) => return Err("event retention of 0 days: use 1 or more, or leave it unset to keep events forever".into()),
                days => days,
            },
            expiry_interval: match args.expiry_check_interval.or(file.expiry_check_interval) {
                None => std::time::Duration::from_secs(60),
                Some(s) if (1..=60).contains(&s) => std::time::Duration::from_secs(s),
                Some(s) => return Err(format!("expiry check interval {s} s: use 1 to 60")),
            },
        },
        connections,
        password_hashing,
        storage,
    })
}

pub async fn run(args: ServeArgs) -> Result<(), String> {
    let config = serve_config(args)?;
    tracing::info!(database = %config.storage.database.redacted(), "opening the database");
    let running = server::start(config).await.map_err(|e| e.to_string())?;
    if let Some(password) = &running.generated_admin_password {
        // Printed once, on the terminal only; it is never logged or stored in clear.
        println!("Created the organization and the administrator account.");
        println!("  username: admin");
        println!("  password: {password}");
        println!("Keep this password: it will not be shown again.");
    }
    tracing::info!(url = %running.url(), "keyportal is listening");
    if let Some(addr) = running.metrics_addr {
        tracing::info!(url = %format!("http://{addr}/metrics"), "metrics are listening");
    }
    let shutdown = running.shutdown_handle();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down");
        let _ = shutdown.send(true);
    });
    running.wait().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
