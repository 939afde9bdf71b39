//! How a configuration field is written down: the `config_table!` macro that
//! turns one list of rows into the struct, its preset values, `set()` and the
//! effective-parameter JSON, and the [`Codec`]s that parse and print each kind
//! of value.
//!
//! Why a macro: a field used to be spelled out in five places (the struct, each
//! preset constructor, `FIELD_NAMES`, the `set()` match, summary.json's
//! `ProtocolJson`), and forgetting one compiled. Now a row is the only place; the
//! rest is generated from it, in the row order.

use super::{Generation, HandoffOrder, QueueOrder, ReapPolicy};
use crate::protocol::Nanos;
use crate::units::{format_duration, parse_duration, round, secs};

/// How one kind of value is read from text (a scenario's `protocol:` block,
/// `--set`, a sweep axis) and written to summary.json.
pub trait Codec {
    type Value;
    /// Unit appended to the field's name in summary.json (`probe_interval_ms`).
    const SUFFIX: &'static str;
    /// Parse `text` for `field`; the error is one sentence naming both and what
    /// is expected.
    fn parse(field: &str, text: &str) -> Result<Self::Value, String>;
    fn json(value: &Self::Value) -> serde_json::Value;
    /// The value as a scenario would write it (`500ms`, `true`, `at_wrap`).
    fn text(value: &Self::Value) -> String;
}

fn parse_nanos(field: &str, text: &str) -> Result<Nanos, String> {
    parse_duration(text).map_err(|e| format!("`{field}` = `{text}` is not a valid duration ({e})"))
}

/// A duration, reported in milliseconds (sub-second knobs).
pub struct Millis;
impl Codec for Millis {
    type Value = Nanos;
    const SUFFIX: &'static str = "_ms";
    fn parse(field: &str, text: &str) -> Result<Nanos, String> {
        parse_nanos(field, text)
    }
    fn json(v: &Nanos) -> serde_json::Value {
        round(*v as f64 / 1e6, 6).into()
    }
    fn text(v: &Nanos) -> String {
        format_duration(*v)
    }
}

/// A duration, reported in seconds (knobs of seconds to days).
pub struct Seconds;
impl Codec for Seconds {
    type Value = Nanos;
    const SUFFIX: &'static str = "_s";
    fn parse(field: &str, text: &str) -> Result<Nanos, String> {
        Millis::parse(field, text)
    }
    fn json(v: &Nanos) -> serde_json::Value {
        round(secs(*v), 9).into()
    }
    fn text(v: &Nanos) -> String {
        Millis::text(v)
    }
}

fn parse_u32(field: &str, text: &str) -> Result<u32, String> {
    text.parse::<u32>().map_err(|_| {
        format!(
            "`{field}` = `{text}` is not a whole number; expected an integer between 0 and {}",
            u32::MAX
        )
    })
}

/// A count or multiplier.
pub struct Count;
impl Codec for Count {
    type Value = u32;
    const SUFFIX: &'static str = "";
    fn parse(field: &str, text: &str) -> Result<u32, String> {
        parse_u32(field, text)
    }
    fn json(v: &u32) -> serde_json::Value {
        (*v).into()
    }
    fn text(v: &u32) -> String {
        v.to_string()
    }
}

/// A size in bytes: a [`Count`] reported with its unit.
pub struct Bytes;
impl Codec for Bytes {
    type Value = u32;
    const SUFFIX: &'static str = "_bytes";
    fn parse(field: &str, text: &str) -> Result<u32, String> {
        Count::parse(field, text)
    }
    fn json(v: &u32) -> serde_json::Value {
        Count::json(v)
    }
    fn text(v: &u32) -> String {
        Count::text(v)
    }
}

/// A count that may be left to memberlist's own rule (`default` / `auto`).
pub struct CountOrDefault;
impl Codec for CountOrDefault {
    type Value = Option<u32>;
    const SUFFIX: &'static str = "";
    fn parse(field: &str, text: &str) -> Result<Option<u32>, String> {
        match text.to_ascii_lowercase().as_str() {
            "default" | "auto" => Ok(None),
            _ => parse_u32(field, text).map(Some),
        }
    }
    fn json(v: &Option<u32>) -> serde_json::Value {
        v.map_or(serde_json::Value::Null, Into::into)
    }
    fn text(v: &Option<u32>) -> String {
        v.map_or_else(|| "default".to_string(), |k| k.to_string())
    }
}

/// An on/off switch.
pub struct Switch;
impl Codec for Switch {
    type Value = bool;
    const SUFFIX: &'static str = "";
    fn parse(field: &str, text: &str) -> Result<bool, String> {
        match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(true),
            "false" | "no" | "off" | "0" => Ok(false),
            _ => Err(format!(
                "`{field}` = `{text}` is not a switch; expected true or false"
            )),
        }
    }
    fn json(v: &bool) -> serde_json::Value {
        (*v).into()
    }
    fn text(v: &bool) -> String {
        v.to_string()
    }
}

/// memberlist's wire protocol version (`ProtocolVersion`, 1 to 5).
pub struct Version;
impl Codec for Version {
    type Value = u8;
    const SUFFIX: &'static str = "";
    fn parse(field: &str, text: &str) -> Result<u8, String> {
        match text.parse::<u8>() {
            Ok(p @ 1..=5) => Ok(p),
            _ => Err(format!(
                "`{field}` = `{text}` is not a memberlist protocol version; expected 1 to 5"
            )),
        }
    }
    fn json(v: &u8) -> serde_json::Value {
        (*v).into()
    }
    fn text(v: &u8) -> String {
        v.to_string()
    }
}

/// A closed set of named values. Spellings are compared after
/// `keys::normalize` (case, `_`, `-`, `.` ignored); the first spelling
/// of each choice is its name in summary.json and in error messages.
pub trait Choice: Sized + Copy + 'static {
    /// What the value is, for the error: "a memberlist generation".
    const WHAT: &'static str;
    const CHOICES: &'static [(&'static [&'static str], Self)];
}

impl Choice for Generation {
    const WHAT: &'static str = "a memberlist generation";
    const CHOICES: &'static [(&'static [&'static str], Self)] = &[
        (&["2015", "y2015"], Generation::Y2015),
        (&["2016", "y2016"], Generation::Y2016),
        (&["today", "head"], Generation::Today),
    ];
}

impl Choice for ReapPolicy {
    const WHAT: &'static str = "a reap policy";
    const CHOICES: &'static [(&'static [&'static str], Self)] = &[
        (&["at_wrap"], ReapPolicy::AtWrap),
        (
            &["after_gossip_to_the_dead"],
            ReapPolicy::AfterGossipToTheDead,
        ),
    ];
}

impl Choice for QueueOrder {
    const WHAT: &'static str = "a queue order";
    const CHOICES: &'static [(&'static [&'static str], Self)] = &[
        (&["legacy"], QueueOrder::Legacy),
        (&["btree"], QueueOrder::Btree),
    ];
}

impl Choice for HandoffOrder {
    const WHAT: &'static str = "a hand-off order";
    const CHOICES: &'static [(&'static [&'static str], Self)] = &[
        (&["fifo"], HandoffOrder::Fifo),
        (&["alive_first_lifo"], HandoffOrder::AliveFirstLifo),
    ];
}

/// The [`Codec`] of a [`Choice`].
pub struct Named<T>(std::marker::PhantomData<T>);
impl<T: Choice + PartialEq> Codec for Named<T> {
    type Value = T;
    const SUFFIX: &'static str = "";
    fn parse(field: &str, text: &str) -> Result<T, String> {
        let norm = super::keys::normalize(text);
        T::CHOICES
            .iter()
            .find(|(spellings, _)| spellings.iter().any(|s| super::keys::normalize(s) == norm))
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                let names: Vec<&str> = T::CHOICES.iter().map(|(s, _)| s[0]).collect();
                let (last, rest) = names.split_last().expect("a choice has values");
                format!(
                    "`{field}` = `{text}` is not {}; expected {} or {last}",
                    T::WHAT,
                    rest.join(", ")
                )
            })
    }
    fn json(v: &T) -> serde_json::Value {
        Self::text(v).into()
    }
    fn text(v: &T) -> String {
        T::CHOICES
            .iter()
            .find(|(_, c)| c == v)
            .map(|(s, _)| s[0])
            .expect("every value is a listed choice")
            .to_string()
    }
}

/// One field's bound, checked by `validate()`: `None` when the value is fine,
/// else what is wrong and what is expected.
pub type Bound<T> = fn(&T) -> Option<String>;

/// Build a configuration struct from rows of
/// `/// doc` `name: Type => Codec, preset |p| value [, bound fn];`,
/// with an optional trailing `nested name: Type;` for a sub-table. Generated:
/// the struct; `KEYS` (canonical keys, `prefix` + name, in row order);
/// `for_preset(p)`; `set_key(key, text)`; `check_bounds()`; `json_fields()`;
/// `text_fields()`.
macro_rules! config_table {
    (
        $(#[$smeta:meta])*
        pub struct $Struct:ident, prefix $prefix:literal {
            $(
                $(#[doc = $doc:literal])*
                $field:ident : $ty:ty => $codec:ty, preset $preset:expr $(, bound $bound:expr)? ;
            )*
        }
        $( nested $nfield:ident : $nty:ty ; )?
    ) => {
        $(#[$smeta])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $Struct {
            $( $(#[doc = $doc])* pub $field: $ty, )*
            $( pub $nfield: $nty, )?
        }

        impl $Struct {
            /// Canonical snake_case keys of this table's rows, in row order.
            pub const KEYS: &'static [&'static str] =
                &[ $( concat!($prefix, stringify!($field)) ),* ];

            /// Every row's value in preset `p`.
            pub fn for_preset(p: Preset) -> $Struct {
                let _ = p;
                $Struct {
                    $( $field: {
                        let value: fn(Preset) -> $ty = $preset;
                        value(p)
                    }, )*
                    $( $nfield: <$nty>::for_preset(p), )?
                }
            }

            /// Set the field whose canonical key is `key` from `text`; `None`
            /// if no row (here or in the nested table) has that key.
            pub(super) fn set_key(&mut self, key: &str, text: &str) -> Option<Result<(), String>> {
                $(
                    if key == concat!($prefix, stringify!($field)) {
                        return Some(<$codec as $crate::protocol::config::table::Codec>::parse(key, text)
                            .map(|v| self.$field = v));
                    }
                )*
                $( return self.$nfield.set_key(key, text); )?
                #[allow(unreachable_code)]
                None
            }

            /// The first field outside its bound, as an error sentence.
            pub(super) fn check_bounds(&self) -> Result<(), String> {
                $($(
                    let bound: $crate::protocol::config::table::Bound<$ty> = $bound;
                    if let Some(why) = bound(&self.$field) {
                        return Err(format!("`{}{}` {why}", $prefix, stringify!($field)));
                    }
                )?)*
                $( self.$nfield.check_bounds()?; )?
                Ok(())
            }

            /// (summary.json key with unit, value) of every row, in row order.
            pub fn json_fields(&self, out: &mut Vec<(String, serde_json::Value)>) {
                $(
                    out.push((
                        format!(
                            "{}{}{}",
                            $prefix,
                            stringify!($field),
                            <$codec as $crate::protocol::config::table::Codec>::SUFFIX
                        ),
                        <$codec as $crate::protocol::config::table::Codec>::json(&self.$field),
                    ));
                )*
                $( self.$nfield.json_fields(out); )?
            }

            /// (canonical key, value as a scenario writes it) of every row.
            pub fn text_fields(&self, out: &mut Vec<(&'static str, String)>) {
                $(
                    out.push((
                        concat!($prefix, stringify!($field)),
                        <$codec as $crate::protocol::config::table::Codec>::text(&self.$field),
                    ));
                )*
                $( self.$nfield.text_fields(out); )?
            }
        }
    };
}
pub(crate) use config_table;
