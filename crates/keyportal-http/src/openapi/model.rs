//! The table the OpenAPI document is built from: one row per operation, written as constants
//! beside the routes they describe (`portal_ops`, `content_ops`, `keyportal_ops`). The
//! coverage test compares these rows with the routes the router registers.

/// An HTTP method a row answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// The key of the method in an OpenAPI path item.
    pub fn key(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Patch => "patch",
            Method::Delete => "delete",
        }
    }
}

/// `get_or_post(…)`: every Sharing API resource answers GET and POST alike (spec §1.1).
pub const GET_OR_POST: &[Method] = &[Method::Get, Method::Post];
pub const GET: &[Method] = &[Method::Get];
pub const POST: &[Method] = &[Method::Post];
/// `any(…)`: the proxy forwards whatever method the client uses.
pub const ANY: &[Method] = &[
    Method::Get,
    Method::Post,
    Method::Put,
    Method::Patch,
    Method::Delete,
];

/// Groups of operations in the document (OpenAPI tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Portal,
    Tokens,
    OAuth,
    Members,
    Roles,
    Content,
    Sharing,
    Groups,
    Credentials,
    Usage,
    Events,
    Proxy,
    Operations,
}

/// Who may call an operation, and how a token is presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token is read (health checks, static files, this document).
    Open,
    /// A token is read when sent; without one the caller is anonymous.
    OptionalToken,
    /// A member's token (or an API key with the privilege) is required.
    Token,
    /// An API key (or token) decides the request; real HTTP statuses (`/verify`, the proxy).
    Key,
    /// The caller proves itself with parameters (password, client secret, code).
    Credentials,
}

/// What an operation answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Sharing API JSON; errors in the ArcGIS envelope with HTTP 200.
    Sharing(&'static str),
    /// Sharing API JSON, or CSV with `f=csv`.
    SharingOrCsv(&'static str),
    /// `/verify`: real statuses, the verdict as JSON.
    Verdict,
    /// The service proxy: the upstream's answer, or a real-status error.
    Proxied,
    /// `/health` and `/ready`: 200 or 503 with a small JSON status.
    Probe(&'static str),
    /// An HTML page (the OAuth sign-in page).
    Page(&'static str),
    /// The sign-in form's answer: a redirect to the app, or the page again.
    SigninRedirect,
    /// GitHub's secret scanning partner endpoint: a signed JSON array in, an array of labels
    /// out; real statuses.
    SecretScanning,
    /// A stylesheet.
    Stylesheet,
    /// This document.
    Document,
}

/// Where a parameter is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    /// A path segment of the template.
    Path,
    /// A Sharing parameter: the query of a GET, the urlencoded or multipart body of a POST
    /// (a POST may also carry it in the query).
    Field,
    /// A request header.
    Header,
}

/// A parameter's type as clients send it: everything arrives as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Text,
    Integer,
    Boolean,
    /// Epoch milliseconds.
    Millis,
    /// A JSON value sent as text.
    Json,
    /// A JSON array or a comma-separated list.
    List,
    /// One of the listed values.
    OneOf(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub place: In,
    pub required: bool,
    pub ty: Ty,
    pub doc: &'static str,
}

/// An optional Sharing parameter.
pub const fn field(name: &'static str, ty: Ty, doc: &'static str) -> Param {
    Param {
        name,
        place: In::Field,
        required: false,
        ty,
        doc,
    }
}

/// A Sharing parameter the operation refuses to run without.
pub const fn required(name: &'static str, ty: Ty, doc: &'static str) -> Param {
    Param {
        required: true,
        ..field(name, ty, doc)
    }
}

/// A segment of the path template (always required).
pub const fn segment(name: &'static str, doc: &'static str) -> Param {
    Param {
        name,
        place: In::Path,
        required: true,
        ty: Ty::Text,
        doc,
    }
}

/// An optional request header.
pub const fn header(name: &'static str, doc: &'static str) -> Param {
    Param {
        name,
        place: In::Header,
        required: false,
        ty: Ty::Text,
        doc,
    }
}

/// One documented operation (one row per handler; a row with several methods becomes one
/// OpenAPI operation per method).
#[derive(Debug, Clone, Copy)]
pub struct Op {
    /// The route template as registered, in OpenAPI's `{param}` form (a trailing `{*rest}`
    /// of the router is `{rest}` here).
    pub path: &'static str,
    pub methods: &'static [Method],
    /// Unique; with several methods the method is appended (`searchGet`, `searchPost`).
    pub id: &'static str,
    pub tag: Tag,
    pub summary: &'static str,
    pub access: Access,
    /// Groups of parameters (shared lists and the row's own), in order.
    pub params: &'static [&'static [Param]],
    pub answer: Answer,
}

/// `/sharing/rest` followed by the rest of a path literal.
macro_rules! rest {
    ($path:literal) => {
        concat!("/sharing/rest", $path)
    };
}
pub(crate) use rest;
