//! Sprig's defaults, flow control and type conversions: `default`, `empty`, `coalesce`,
//! `all`, `any`, `ternary`, `fail`, and `atoi`, `int`, `int64`, `float64`, `toDecimal`
//! (spf13/cast's rules, see [`super::conv`]).

use crate::func::{FuncDef, FuncError, Param, Sig};
use crate::value::Value;

use super::conv::{NumError, empty, parse_int, to_float64, to_int64};
use super::def;

use Param::{Any, Bool, String as Str};

pub(super) const FUNCS: &[FuncDef] = &[
    def("default", Sig::variadic(&[Any], Any), |a| {
        let given = a.get(1);
        Ok(if a.len() < 2 || empty(given) {
            a.get(0).clone()
        } else {
            given.clone()
        })
    }),
    def("empty", Sig::fixed(&[Any]), |a| Ok(empty(a.get(0)).into())),
    def("coalesce", Sig::variadic(&[], Any), |a| {
        Ok(a.rest(0)
            .iter()
            .find(|v| !empty(v))
            .cloned()
            .unwrap_or_default())
    }),
    def("all", Sig::variadic(&[], Any), |a| {
        Ok(a.rest(0).iter().all(|v| !empty(v)).into())
    }),
    def("any", Sig::variadic(&[], Any), |a| {
        Ok(a.rest(0).iter().any(|v| !empty(v)).into())
    }),
    def("ternary", Sig::fixed(&[Any, Any, Bool]), |a| {
        Ok(if a.bool(2)? { a.get(0) } else { a.get(1) }.clone())
    }),
    def("fail", Sig::fixed(&[Str]), |a| {
        Err(FuncError::msg(a.string(0)?))
    }),
    def("atoi", Sig::fixed(&[Str]), |a| {
        // strconv.Atoi: base 10 only; Sprig drops the error, keeping Go's result (0 for bad
        // syntax, the nearest int for out of range).
        Ok(Value::Int(match parse_int(a.string(0)?, 10) {
            Ok(n) | Err(NumError::Range(n)) => n,
            Err(NumError::Syntax) => 0,
        }))
    }),
    def("int", Sig::fixed(&[Any]), |a| {
        Ok(Value::Int(to_int64(a.get(0))))
    }),
    def("int64", Sig::fixed(&[Any]), |a| {
        Ok(Value::Int64(to_int64(a.get(0))))
    }),
    def("float64", Sig::fixed(&[Any]), |a| {
        Ok(Value::Float(to_float64(a.get(0))))
    }),
    def("toDecimal", Sig::fixed(&[Any]), |a| {
        // Unix permissions in octal: strconv.ParseInt(fmt.Sprint(v), 8, 64), 0 on error.
        Ok(Value::Int64(
            parse_int(&a.get(0).to_string(), 8).unwrap_or(0),
        ))
    }),
];
