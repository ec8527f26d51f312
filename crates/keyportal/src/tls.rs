//! TLS for `serve`: certificates from files, or a self-signed one for local use (the ArcGIS API
//! for Python only talks HTTPS).

use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

use crate::config::TlsConfig;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TlsError(String);

fn read_pem(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError(format!("cannot read {}: {e}", path.display())))
}

fn parse_certs(pem: &[u8], origin: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = rustls_pemfile::certs(&mut BufReader::new(pem))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError(format!("{origin}: invalid certificate PEM: {e}")))?;
    if certs.is_empty() {
        return Err(TlsError(format!("{origin}: no certificate found")));
    }
    Ok(certs)
}

fn parse_key(pem: &[u8], origin: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    rustls_pemfile::private_key(&mut BufReader::new(pem))
        .map_err(|e| TlsError(format!("{origin}: invalid key PEM: {e}")))?
        .ok_or_else(|| TlsError(format!("{origin}: no private key found")))
}

/// A self-signed certificate for localhost, 127.0.0.1 and ::1, reused across restarts.
fn self_signed(data_dir: &Path) -> Result<(Vec<u8>, Vec<u8>), TlsError> {
    let dir = data_dir.join("tls");
    let cert_path = dir.join("self-signed-cert.pem");
    let key_path = dir.join("self-signed-key.pem");
    if cert_path.exists() && key_path.exists() {
        return Ok((read_pem(&cert_path)?, read_pem(&key_path)?));
    }
    let names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    let generated = rcgen::generate_simple_self_signed(names)
        .map_err(|e| TlsError(format!("cannot generate a self-signed certificate: {e}")))?;
    let cert = generated.cert.pem().into_bytes();
    let key = generated.key_pair.serialize_pem().into_bytes();
    std::fs::create_dir_all(&dir)
        .map_err(|e| TlsError(format!("cannot create {}: {e}", dir.display())))?;
    write_private(&key_path, &key)?;
    std::fs::write(&cert_path, &cert)
        .map_err(|e| TlsError(format!("cannot write {}: {e}", cert_path.display())))?;
    Ok((cert, key))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), TlsError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| TlsError(format!("cannot write {}: {e}", path.display())))
}

/// The rustls configuration for `tls`, or `None` for plain HTTP.
pub fn server_config(
    tls: &TlsConfig,
    data_dir: &Path,
) -> Result<Option<Arc<ServerConfig>>, TlsError> {
    let (cert_pem, key_pem, origin) = match tls {
        TlsConfig::None => return Ok(None),
        TlsConfig::Files { cert, key } => {
            (read_pem(cert)?, read_pem(key)?, cert.display().to_string())
        }
        TlsConfig::SelfSigned => {
            let (c, k) = self_signed(data_dir)?;
            (c, k, "self-signed certificate".to_string())
        }
    };
    let certs = parse_certs(&cert_pem, &origin)?;
    let key = parse_key(&key_pem, &origin)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError(format!("TLS setup failed: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError(format!("{origin}: certificate and key do not fit: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_certificates_are_generated_once_and_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = server_config(&TlsConfig::SelfSigned, dir.path()).expect("config");
        assert!(first.is_some());
        let cert = std::fs::read(dir.path().join("tls/self-signed-cert.pem")).expect("cert");
        server_config(&TlsConfig::SelfSigned, dir.path()).expect("config again");
        let again = std::fs::read(dir.path().join("tls/self-signed-cert.pem")).expect("cert");
        assert_eq!(cert, again);
    }

    #[test]
    fn missing_or_garbage_files_give_clear_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = TlsConfig::Files {
            cert: dir.path().join("nope.pem"),
            key: dir.path().join("nope.key"),
        };
        let err = server_config(&missing, dir.path()).expect_err("must fail");
        assert!(err.to_string().contains("cannot read"));
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not pem").expect("write");
        let bad = TlsConfig::Files {
            cert: garbage.clone(),
            key: garbage,
        };
        assert!(server_config(&bad, dir.path()).is_err());
    }
}
