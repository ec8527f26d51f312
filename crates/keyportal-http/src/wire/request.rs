//! The ArcGIS request extractor: merged parameters, the bearer token, and request facts.

use axum::extract::{FromRequest, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, ORIGIN, REFERER};
use axum::http::HeaderMap;
use bytes::Bytes;
use keyportal_domain::referrer::UNREADABLE_REFERER;
use keyportal_domain::DomainError;
use keyportal_service::RequestFacts;

use super::error::ApiError;
use super::params::Params;
use super::reply::Reply;

/// The largest request body accepted (multipart uploads included).
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// A decoded Sharing API request.
#[derive(Debug, Clone)]
pub struct ArcgisRequest {
    pub params: Params,
    /// From `token`, then `X-Esri-Authorization: Bearer`, then `Authorization: Bearer`.
    pub token: Option<String>,
    pub facts: RequestFacts,
    /// `f=pjson` asks for indented JSON.
    pub pretty: bool,
    /// The `Host` header, for absolute URLs in answers.
    pub host: Option<String>,
}

impl ArcgisRequest {
    pub fn reply(&self, value: serde_json::Value) -> Reply {
        Reply::new(value, self.pretty)
    }
}

fn bearer(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// The `Referer` a request's key or token is checked against: the `Referer` header, or the
/// `Origin` header when there is no `Referer`. A `Referer` that is present but unreadable
/// (bytes outside visible ASCII) is passed on as [`UNREADABLE_REFERER`], which matches no
/// referrer pattern and no token binding: such a request is refused as a mismatch instead of
/// letting a good `Origin` vouch for it. Used by the Sharing API and the proxy alike.
pub fn request_referer(headers: &HeaderMap) -> Option<String> {
    match headers.get(REFERER) {
        Some(value) if value.as_bytes().trim_ascii().is_empty() => header(headers, ORIGIN),
        Some(value) => Some(match value.to_str() {
            Ok(text) => text.trim().to_string(),
            Err(_) => UNREADABLE_REFERER.to_string(),
        }),
        None => header(headers, ORIGIN),
    }
}

fn header(headers: &HeaderMap, name: impl axum::http::header::AsHeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .filter(|v| !v.is_empty())
}

async fn read_multipart(
    body: Bytes,
    content_type: &str,
    params: &mut Params,
) -> Result<(), ApiError> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| DomainError::invalid("The multipart body has no boundary."))?;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| DomainError::invalid("The multipart body is malformed."))?
    {
        let Some(name) = field.name().map(str::to_string) else {
            continue;
        };
        // File parts (uploads) are not stored; their presence is accepted and ignored.
        if field.file_name().is_some() {
            continue;
        }
        let text = field
            .text()
            .await
            .map_err(|_| DomainError::invalid("The multipart body is malformed."))?;
        params.insert(name, text);
    }
    Ok(())
}

impl<S: Send + Sync> FromRequest<S> for ArcgisRequest {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let mut params = Params::default();
        if let Some(query) = parts.uri.query() {
            params.extend_urlencoded(query.as_bytes());
        }
        let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                DomainError::invalid(format!(
                    "The request body is larger than {MAX_BODY_BYTES} bytes."
                ))
            })?;
        let content_type = header(&parts.headers, CONTENT_TYPE).unwrap_or_default();
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !body.is_empty() {
            if mime == "multipart/form-data" {
                read_multipart(body, &content_type, &mut params).await?;
            } else if mime.is_empty()
                || mime == "application/x-www-form-urlencoded"
                || mime == "text/plain"
            {
                params.extend_urlencoded(&body);
            }
            // Other bodies (JSON, binary) carry no ArcGIS parameters.
        }
        params.check_sizes()?;
        params.check_no_nul()?;
        let token = params
            .text("token")
            .map(str::to_string)
            .or_else(|| bearer(&parts.headers, "x-esri-authorization"))
            .or_else(|| bearer(&parts.headers, AUTHORIZATION.as_str()));
        let referer = request_referer(&parts.headers);
        let client_ip =
            crate::client_address::client_ip(&parts.extensions).map(|ip| ip.to_string());
        let pretty = params
            .text("f")
            .is_some_and(|f| f.eq_ignore_ascii_case("pjson"));
        Ok(ArcgisRequest {
            params,
            token,
            facts: RequestFacts { referer, client_ip },
            pretty,
            host: header(&parts.headers, axum::http::header::HOST),
        })
    }
}
