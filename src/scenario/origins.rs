//! The protocol configuration of a scenario: the preset, the file's
//! overrides, then the command line's, validated as a whole with each error
//! pointing at the line or flag that set the field last.

use super::error::ScenarioError;
use super::raw::{ProtocolRaw, Scalar};
use super::resolve::{check_granularity, Ctx, ProtocolFlags};
use crate::protocol::config::PRESETS;
use crate::protocol::Config;
use crate::quote::{short, shorten_quoted};

type R<T> = Result<T, ScenarioError>;

/// (preset name, effective config, overrides as written).
pub type Protocol = (String, Config, Vec<(String, String)>);

/// Resolve `protocol:` and the command line's `--preset`/`--set`.
pub fn protocol(proto: Option<ProtocolRaw>, ctx: &Ctx, flags: &ProtocolFlags) -> R<Protocol> {
    let proto = proto.unwrap_or_default();
    let (preset, preset_path) = match (flags.preset, &proto.preset) {
        (Some(p), _) => (p.to_string(), None),
        (None, Some(p)) => (p.clone(), Some("protocol.preset")),
        (None, None) => ("memberlist".to_string(), None),
    };
    let Some(mut protocol) = Config::preset(&preset) else {
        let msg = format!(
            "unknown preset `{}`; valid presets: {}",
            short(&preset),
            PRESETS.join(", ")
        );
        return Err(match preset_path {
            Some(p) => ctx.err(p, msg),
            None => ScenarioError::flag("--preset", msg),
        });
    };
    let mut overrides = Vec::new();
    // Who set each field last, so a validation error points at that line or flag.
    let mut origins = ConfigOrigins::new(ctx, preset_path);
    for (key, Scalar(value)) in proto.overrides.map(|o| o.0).unwrap_or_default() {
        let path = format!("protocol.overrides.{key}");
        protocol
            .set(&key, &value)
            .map_err(|m| ctx.err(&path, shorten_quoted(&m)))?;
        origins.set_in_file(&key, path);
        overrides.push((key, value));
    }
    for (key, value) in flags.sets {
        let flag = format!("--set {key}={value}");
        protocol
            .set(key, value)
            .map_err(|m| ScenarioError::flag(flag.clone(), shorten_quoted(&m)))?;
        origins.set_by_flag(key, flag);
        overrides.push((key.clone(), value.clone()));
    }
    origins.check(&protocol)?;
    Ok((preset, protocol, overrides))
}

/// Where each protocol field got its effective value, so that
/// [`Config::validate`] errors point at the file line or `--set` flag to fix:
/// `validate` and `run` refuse the same files with the same message.
struct ConfigOrigins<'a, 'c> {
    ctx: &'a Ctx<'c>,
    preset_path: Option<&'static str>,
    /// (canonical field, the override's path or the flag), in the order applied.
    set: Vec<(&'static str, Result<String, String>)>,
}

impl<'a, 'c> ConfigOrigins<'a, 'c> {
    fn new(ctx: &'a Ctx<'c>, preset_path: Option<&'static str>) -> Self {
        ConfigOrigins {
            ctx,
            preset_path,
            set: Vec::new(),
        }
    }

    fn field(key: &str) -> Option<&'static str> {
        match Config::canonical_key(key)? {
            // Stored as the negation of tcp_fallback; validation names that.
            "disable_tcp_pings" => Some("tcp_fallback"),
            f => Some(f),
        }
    }

    fn set_in_file(&mut self, key: &str, path: String) {
        if let Some(f) = Self::field(key) {
            self.set.push((f, Ok(path)));
        }
    }

    fn set_by_flag(&mut self, key: &str, flag: String) {
        if let Some(f) = Self::field(key) {
            self.set.push((f, Err(flag)));
        }
    }

    /// Validate the effective config; locate an error at the last setting of any
    /// field it names (validation messages name fields in backticks), else at
    /// the preset.
    fn check(&self, config: &Config) -> R<()> {
        let floor = [
            ("probe_interval", config.probe_interval),
            ("probe_timeout", config.probe_timeout),
            ("gossip_interval", config.gossip_interval),
            ("push_pull_interval", config.push_pull_interval),
            ("tcp_timeout", config.tcp_timeout),
            ("serf_reconnect_interval", config.serf.reconnect_interval),
            ("serf_reap_interval", config.serf.reap_interval),
        ];
        let message = floor
            .iter()
            .find_map(|&(f, d)| check_granularity(&format!("`{f}` ="), d).err())
            .map_or_else(|| config.validate(), Err);
        let Err(message) = message else {
            return Ok(());
        };
        let named: Vec<&str> = message
            .split('`')
            .skip(1)
            .step_by(2)
            .filter_map(Self::field)
            .collect();
        let origin = self
            .set
            .iter()
            .rev()
            .find(|(f, _)| named.contains(f))
            .map(|(_, o)| o);
        Err(match (origin, self.preset_path) {
            (Some(Ok(path)), _) => self.ctx.err(path, message),
            (Some(Err(flag)), _) => ScenarioError::flag(flag.clone(), message),
            (None, Some(p)) => self.ctx.err(p, message),
            (None, None) => self.ctx.err("protocol", message),
        })
    }
}
