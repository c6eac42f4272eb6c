//! The four PATCH content types of the API: JSON patch (RFC 6902), JSON merge patch
//! (RFC 7386), strategic merge patch (merge keys and directives from the schema crate) and
//! server-side apply field ownership (managed fields).

pub mod json;
pub mod merge;
pub mod smp;
pub mod ssa;
