//! Sprig's keys and certificates.

use crate::func::FuncDef;

pub(super) const FUNCS: &[FuncDef] = &[];

/// Sprig's `certificate`.
#[derive(Debug)]
pub struct Certificate;
