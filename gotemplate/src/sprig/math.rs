//! Sprig's arithmetic. Integer functions convert every argument with `cast.ToInt64` and
//! return `int64` (so `add 1 2.5` is 3), wrapping on overflow as Go does; the `...f`
//! functions go through `shopspring/decimal` (exact sums and products, quotients rounded
//! half away from zero at 16 decimal places) and return `float64`; `until`, `untilStep` and
//! `seq` build integer ranges.

use num_bigint::{BigInt, Sign};

use crate::func::{Args, FuncDef, FuncError, FuncResult, Param, Sig};
use crate::value::{Value, format_float_v};

use super::conv::{to_float64, to_int64};
use super::typed;
use super::{MAX_LIST, def, too_large};

use Param::{Any, Float64, Int};

pub(super) const FUNCS: &[FuncDef] = &[
    def("add1", Sig::fixed(&[Any]), |a| {
        Ok(Value::Int64(to_int64(a.get(0)).wrapping_add(1)))
    }),
    def("add", Sig::variadic(&[], Any), |a| {
        Ok(Value::Int64(
            a.rest(0)
                .iter()
                .fold(0i64, |sum, v| sum.wrapping_add(to_int64(v))),
        ))
    }),
    def("sub", Sig::fixed(&[Any, Any]), |a| {
        Ok(Value::Int64(
            to_int64(a.get(0)).wrapping_sub(to_int64(a.get(1))),
        ))
    }),
    def("div", Sig::fixed(&[Any, Any]), |a| {
        let (x, y) = (to_int64(a.get(0)), to_int64(a.get(1)));
        if y == 0 {
            return Err(divide_by_zero());
        }
        Ok(Value::Int64(x.wrapping_div(y)))
    }),
    def("mod", Sig::fixed(&[Any, Any]), |a| {
        let (x, y) = (to_int64(a.get(0)), to_int64(a.get(1)));
        if y == 0 {
            return Err(divide_by_zero());
        }
        Ok(Value::Int64(x.wrapping_rem(y)))
    }),
    def("mul", Sig::variadic(&[Any], Any), |a| {
        Ok(Value::Int64(
            a.rest(1).iter().fold(to_int64(a.get(0)), |product, v| {
                product.wrapping_mul(to_int64(v))
            }),
        ))
    }),
    def("add1f", Sig::fixed(&[Any]), |a| {
        decimal_op(a.get(0), &[Value::Int(1)], Op::Add)
    }),
    def("addf", Sig::variadic(&[], Any), |a| {
        decimal_op(&Value::Float(0.0), a.rest(0), Op::Add)
    }),
    def("subf", Sig::variadic(&[Any], Any), |a| {
        decimal_op(a.get(0), a.rest(1), Op::Sub)
    }),
    def("mulf", Sig::variadic(&[Any], Any), |a| {
        decimal_op(a.get(0), a.rest(1), Op::Mul)
    }),
    def("divf", Sig::variadic(&[Any], Any), |a| {
        decimal_op(a.get(0), a.rest(1), Op::Div)
    }),
    def("biggest", Sig::variadic(&[Any], Any), max),
    def("max", Sig::variadic(&[Any], Any), max),
    def("min", Sig::variadic(&[Any], Any), |a| {
        Ok(Value::Int64(
            a.rest(1)
                .iter()
                .map(to_int64)
                .fold(to_int64(a.get(0)), i64::min),
        ))
    }),
    def("maxf", Sig::variadic(&[Any], Any), |a| {
        Ok(Value::Float(
            a.rest(1)
                .iter()
                .map(to_float64)
                .fold(to_float64(a.get(0)), go_max),
        ))
    }),
    def("minf", Sig::variadic(&[Any], Any), |a| {
        Ok(Value::Float(
            a.rest(1)
                .iter()
                .map(to_float64)
                .fold(to_float64(a.get(0)), go_min),
        ))
    }),
    def("ceil", Sig::fixed(&[Any]), |a| {
        Ok(Value::Float(to_float64(a.get(0)).ceil()))
    }),
    def("floor", Sig::fixed(&[Any]), |a| {
        Ok(Value::Float(to_float64(a.get(0)).floor()))
    }),
    def("round", Sig::variadic(&[Any, Int], Float64), round),
    def("until", Sig::fixed(&[Int]), |a| {
        let count = a.int(0)?;
        let step = if count < 0 { -1 } else { 1 };
        Ok(typed::ints(until_step(0, count, step)?))
    }),
    def("untilStep", Sig::fixed(&[Int, Int, Int]), |a| {
        Ok(typed::ints(until_step(a.int(0)?, a.int(1)?, a.int(2)?)?))
    }),
    def("seq", Sig::variadic(&[], Int), seq),
];

fn divide_by_zero() -> FuncError {
    FuncError::msg("runtime error: integer divide by zero")
}

fn max(a: &Args<'_>) -> FuncResult {
    Ok(Value::Int64(
        a.rest(1)
            .iter()
            .map(to_int64)
            .fold(to_int64(a.get(0)), i64::max),
    ))
}

/// Go's `math.Max`: NaN wins, and +0 beats -0.
fn go_max(x: f64, y: f64) -> f64 {
    if x.is_infinite() && x > 0.0 || y.is_infinite() && y > 0.0 {
        return f64::INFINITY;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 && x == y {
        return if x.is_sign_negative() { y } else { x };
    }
    if x > y { x } else { y }
}

/// Go's `math.Min`: NaN wins, and -0 beats +0.
fn go_min(x: f64, y: f64) -> f64 {
    if x.is_infinite() && x < 0.0 || y.is_infinite() && y < 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 && x == y {
        return if x.is_sign_negative() { x } else { y };
    }
    if x < y { x } else { y }
}

/// Sprig's `round VALUE PLACES [ROUND_ON]`: rounds up when the fraction of `value * 10^places`
/// is at least ROUND_ON (default .5), else down; computed in float64 as Go does.
fn round(a: &Args<'_>) -> FuncResult {
    let round_on = match a.rest(2).first() {
        Some(Value::Float(x)) => *x,
        _ => 0.5,
    };
    let value = to_float64(a.get(0));
    let pow = go_pow10(a.int(1)?);
    let digit = pow * value;
    let fraction = digit - digit.trunc();
    let rounded = if fraction >= round_on {
        digit.ceil()
    } else {
        digit.floor()
    };
    Ok(Value::Float(rounded / pow))
}

/// Go's `math.Pow(10, n)` for an integer n: repeated squaring of the mantissa with the
/// exponent kept apart, so results match Go bit for bit.
fn go_pow10(n: i64) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let (mut x1, mut xe) = frexp(10.0);
    let (mut a1, mut ae) = (1.0f64, 0i64);
    let mut i = n.unsigned_abs();
    while i != 0 {
        if !(-(1 << 12)..=(1 << 12)).contains(&xe) {
            // The exponent overflows: Go's answer is 0 or Inf from here on.
            ae += xe;
            break;
        }
        if i & 1 == 1 {
            a1 *= x1;
            ae += xe;
        }
        x1 *= x1;
        xe <<= 1;
        if x1 < 0.5 {
            x1 += x1;
            xe -= 1;
        }
        i >>= 1;
    }
    if n < 0 {
        a1 = 1.0 / a1;
        ae = -ae;
    }
    ldexp(a1, ae)
}

/// `math.Frexp` for normal positive numbers: x = frac * 2^exp with frac in [0.5, 1).
fn frexp(x: f64) -> (f64, i64) {
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64 - 1022;
    let frac = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (frac, exp)
}

/// `math.Ldexp`: frac * 2^exp, with Go's rounding of subnormal results.
fn ldexp(frac: f64, exp: i64) -> f64 {
    if frac == 0.0 || frac.is_nan() || frac.is_infinite() {
        return frac;
    }
    let (f, e) = frexp_any(frac);
    let mut exp = exp + e;
    let mut x = f.to_bits();
    exp += ((x >> 52) & 0x7ff) as i64 - 1023;
    if exp < -1075 {
        return 0.0f64.copysign(frac);
    }
    if exp > 1023 {
        return if frac < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    let mut m = 1.0;
    if exp < -1022 {
        exp += 53;
        m = 1.0 / (1u64 << 53) as f64;
    }
    x &= !(0x7ff << 52);
    x |= ((exp + 1023) as u64) << 52;
    m * f64::from_bits(x)
}

/// `math.Frexp` for any finite non-zero number (subnormals normalised first).
fn frexp_any(x: f64) -> (f64, i64) {
    let (mut x, mut exp) = (x, 0i64);
    if x.abs() < f64::MIN_POSITIVE {
        x *= (1u64 << 52) as f64;
        exp = -52;
    }
    let bits = x.to_bits();
    exp += ((bits >> 52) & 0x7ff) as i64 - 1022;
    let frac = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (frac, exp)
}

/// Sprig's `untilStep`: start, start+step, ... up to (not including) stop, counting down when
/// stop < start and step is negative; nothing when the step goes the wrong way.
pub(super) fn until_step(start: i64, stop: i64, step: i64) -> Result<Vec<i64>, FuncError> {
    let mut out = Vec::new();
    if stop < start {
        if step >= 0 {
            return Ok(out);
        }
    } else if step <= 0 {
        return Ok(out);
    }
    // The count up front, so an absurd range fails at once instead of after filling memory.
    let span = (i128::from(stop) - i128::from(start)).unsigned_abs();
    let count = span.div_ceil(i128::from(step).unsigned_abs());
    if count > MAX_LIST as u128 {
        return Err(too_large(
            "untilStep",
            count.min(u128::from(u64::MAX)) as u64,
        ));
    }
    out.reserve(count as usize);
    let mut i = start;
    while (stop < start && i > stop) || (stop >= start && i < stop) {
        out.push(i);
        match i.checked_add(step) {
            Some(next) => i = next,
            None => break,
        }
    }
    Ok(out)
}

/// Sprig's `seq`, like the Unix command: `seq END`, `seq START END`, `seq START STEP END`,
/// the numbers joined by spaces.
fn seq(a: &Args<'_>) -> FuncResult {
    let params: Vec<i64> = (0..a.len()).map(|i| a.int(i)).collect::<Result<_, _>>()?;
    let numbers = match params[..] {
        [end] => {
            let increment = if end < 1 { -1 } else { 1 };
            until_step(1, end.wrapping_add(increment), increment)?
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            until_step(start, end.wrapping_add(step), step)?
        }
        [start, step, end] => {
            let increment = if end < start { -1 } else { 1 };
            if end < start && step > 0 {
                return Ok("".into());
            }
            until_step(start, end.wrapping_add(increment), step)?
        }
        _ => return Ok("".into()),
    };
    let text: Vec<String> = numbers.iter().map(i64::to_string).collect();
    Ok(text.join(" ").into())
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// shopspring/decimal's fixed division precision (`DivisionPrecision`).
const DIVISION_PRECISION: i64 = 16;

/// A decimal `mantissa * 10^exponent`, as shopspring/decimal keeps it.
#[derive(Debug, Clone)]
struct Decimal {
    mantissa: BigInt,
    exponent: i64,
}

impl Decimal {
    /// `decimal.NewFromFloat`: the shortest decimal that reads back as `x`.
    fn from_float(x: f64) -> Result<Decimal, FuncError> {
        if !x.is_finite() {
            return Err(FuncError::msg(format!(
                "Cannot create a Decimal from {}",
                format_float_v(x)
            )));
        }
        if x == 0.0 {
            return Ok(Decimal {
                mantissa: BigInt::from(0),
                exponent: 0,
            });
        }
        let sci = format!("{x:e}");
        let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
        let exponent: i64 = exponent.parse().unwrap_or(0);
        let fraction_digits = mantissa.split_once('.').map_or(0, |(_, f)| f.len()) as i64;
        let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
        let mantissa: BigInt = digits.parse().unwrap_or_default();
        Ok(Decimal {
            mantissa,
            exponent: exponent - fraction_digits,
        })
    }

    /// Both mantissas at the smaller exponent.
    fn aligned(&self, other: &Decimal) -> (BigInt, BigInt, i64) {
        let exponent = self.exponent.min(other.exponent);
        (
            scale(&self.mantissa, self.exponent - exponent),
            scale(&other.mantissa, other.exponent - exponent),
            exponent,
        )
    }

    fn apply(&self, op: Op, other: &Decimal) -> Result<Decimal, FuncError> {
        Ok(match op {
            Op::Add => {
                let (a, b, exponent) = self.aligned(other);
                Decimal {
                    mantissa: a + b,
                    exponent,
                }
            }
            Op::Sub => {
                let (a, b, exponent) = self.aligned(other);
                Decimal {
                    mantissa: a - b,
                    exponent,
                }
            }
            Op::Mul => Decimal {
                mantissa: &self.mantissa * &other.mantissa,
                exponent: self.exponent + other.exponent,
            },
            Op::Div => self.div_round(other)?,
        })
    }

    /// `DivRound(d2, 16)`: the quotient at 16 decimal places, half away from zero.
    fn div_round(&self, other: &Decimal) -> Result<Decimal, FuncError> {
        if other.mantissa.sign() == Sign::NoSign {
            return Err(FuncError::msg("decimal division by 0"));
        }
        let shift = self.exponent - other.exponent + DIVISION_PRECISION;
        let (num, den) = if shift >= 0 {
            (scale(&self.mantissa, shift), other.mantissa.clone())
        } else {
            (self.mantissa.clone(), scale(&other.mantissa, -shift))
        };
        let mut quotient = &num / &den;
        let remainder = &num % &den;
        let twice: BigInt = remainder.magnitude().clone().into();
        let twice = twice * 2;
        if twice >= BigInt::from(den.magnitude().clone()) {
            if (num.sign() == Sign::Minus) != (den.sign() == Sign::Minus) {
                quotient -= 1;
            } else {
                quotient += 1;
            }
        }
        Ok(Decimal {
            mantissa: quotient,
            exponent: -DIVISION_PRECISION,
        })
    }

    /// `Float64()`: the nearest float64 (infinite past its range).
    fn to_float(&self) -> f64 {
        format!("{}e{}", self.mantissa, self.exponent)
            .parse()
            .unwrap_or(0.0)
    }
}

fn scale(mantissa: &BigInt, by: i64) -> BigInt {
    mantissa * BigInt::from(10).pow(by.clamp(0, u32::MAX as i64) as u32)
}

/// The largest power-of-ten shift a decimal operation may need (an exponent difference
/// between two float64 values is at most about 650).
const MAX_SCALE: i64 = 2000;

fn decimal_op(first: &Value, rest: &[Value], op: Op) -> FuncResult {
    let mut acc = Decimal::from_float(to_float64(first))?;
    for value in rest {
        let next = Decimal::from_float(to_float64(value))?;
        acc = acc.apply(op, &next)?;
        if acc.exponent.abs() > MAX_SCALE {
            // Long chains of products can grow the exponent without bound; past this the
            // float64 answer is 0 or infinite anyway.
            return Ok(Value::Float(acc.to_float()));
        }
    }
    Ok(Value::Float(acc.to_float()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pow10_is_exact_where_go_is() {
        for n in 0..=22 {
            assert_eq!(go_pow10(n), format!("1e{n}").parse::<f64>().unwrap(), "{n}");
        }
        assert_eq!(go_pow10(-1), 0.1);
        assert_eq!(go_pow10(400), f64::INFINITY);
        assert_eq!(go_pow10(-400), 0.0);
    }

    #[test]
    fn decimals_follow_shopspring() {
        let f = |first: f64, rest: &[f64], op| {
            let rest: Vec<Value> = rest.iter().map(|x| Value::Float(*x)).collect();
            decimal_op(&Value::Float(first), &rest, op)
        };
        assert_eq!(f(0.0, &[0.1, 0.2], Op::Add), Ok(Value::Float(0.3)));
        assert_eq!(
            f(1.0, &[3.0], Op::Div),
            Ok(Value::Float(0.3333333333333333))
        );
        assert_eq!(
            f(2.0, &[3.0], Op::Div),
            Ok(Value::Float(0.6666666666666667))
        );
        assert_eq!(
            f(-2.0, &[3.0], Op::Div),
            Ok(Value::Float(-0.6666666666666667))
        );
        assert_eq!(f(1.1, &[1.1], Op::Mul), Ok(Value::Float(1.21)));
        assert_eq!(f(1.0, &[0.9], Op::Sub), Ok(Value::Float(0.1)));
        assert_eq!(
            f(1.0, &[0.0], Op::Div),
            Err(FuncError::msg("decimal division by 0"))
        );
        assert_eq!(f(1e308, &[10.0], Op::Mul), Ok(Value::Float(f64::INFINITY)));
    }

    #[test]
    fn ranges() {
        assert_eq!(until_step(0, 5, 1).unwrap(), [0, 1, 2, 3, 4]);
        assert_eq!(until_step(0, -3, -1).unwrap(), [0, -1, -2]);
        assert_eq!(until_step(0, 10, 3).unwrap(), [0, 3, 6, 9]);
        assert!(until_step(0, 10, -1).unwrap().is_empty());
        assert!(until_step(5, 0, 1).unwrap().is_empty());
        assert!(until_step(0, 10, 0).unwrap().is_empty());
        assert!(until_step(0, i64::MAX, 1).is_err());
        assert_eq!(
            until_step(i64::MAX - 1, i64::MAX, 5).unwrap(),
            [i64::MAX - 1]
        );
    }
}
