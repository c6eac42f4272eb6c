//! Sprig's hashes and password functions.

use crate::func::FuncDef;

pub(super) const FUNCS: &[FuncDef] = &[];
