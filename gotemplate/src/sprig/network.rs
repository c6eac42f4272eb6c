//! Sprig's `getHostByName`. This crate does no I/O: the lookup goes through
//! [`crate::Env::lookup_host`], which refuses by default.

use crate::func::{FuncDef, FuncError, Param, Sig};

use super::def;
use super::random::intn;

pub(super) const FUNCS: &[FuncDef] = &[def("getHostByName", Sig::fixed(&[Param::String]), |a| {
    let name = a.string(0)?;
    let addresses = a.env.lookup_host(name).map_err(FuncError::Message)?;
    if addresses.is_empty() {
        // Sprig picks rand.Intn(0) of nothing, which panics so.
        return Err(FuncError::msg("invalid argument to Intn"));
    }
    let pick = intn(a.env, addresses.len() as u64) as usize;
    Ok(addresses[pick].clone().into())
})];
