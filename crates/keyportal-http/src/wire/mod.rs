//! The ArcGIS wire format, in one place: how requests are decoded and answers encoded.

mod error;
mod params;
mod path;
mod reply;
mod request;

pub use error::{error_envelope, ApiError};
pub use params::Params;
pub use path::Path;
pub use reply::Reply;
pub use request::{request_referer, ArcgisRequest};

pub type ApiResult = Result<Reply, ApiError>;
