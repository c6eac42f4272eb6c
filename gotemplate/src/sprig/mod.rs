//! Sprig's functions as Helm exposes them (written in its own branch; empty here).

pub fn functions() -> Vec<crate::func::FuncDef> {
    Vec::new()
}
