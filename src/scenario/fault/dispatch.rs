//! The machinery behind the [`registry!`](super) table: from one list of
//! `key: Type` lines it declares the kind modules and derives the
//! [`HostFault`](super::HostFault) and [`Action`](super::Action) enums, the
//! raw `faults:`/`timeline:` entry types (one optional field per kind, so serde
//! still denies unknown keys and names the line), the name lists used in
//! messages, and the per-kind dispatch (resolve, render, install, apply, …).
//! Nothing here knows a kind by name.

macro_rules! registry {
    (
        faults { $($h:ident : $H:ident),* $(,)? }
        timeline { $($v:ident : $V:ident),* $(,)? }
    ) => {
        /// Host fault kinds, one file each.
        pub mod host {
            $(pub mod $h;)*
        }
        /// Timeline verbs, one file each.
        pub mod timeline {
            $(pub mod $v;)*
        }

        /// A host fault: one variant per registered kind.
        #[derive(Clone, Debug, PartialEq)]
        pub enum HostFault {
            $($H(host::$h::$H),)*
        }

        /// A timeline action: one variant per registered verb.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Action {
            $($V(timeline::$v::$V),)*
        }

        /// A verb's own engine event, handed back at its time.
        #[derive(Debug)]
        pub enum FaultEvent {
            $($V(<timeline::$v::$V as VerbKind>::Event),)*
        }

        /// Keys of host faults, in registry order (for messages and docs).
        pub const HOST_FAULT_NAMES: &[&str] = &[$(stringify!($h)),*];
        /// Keys of timeline verbs, in registry order (for messages and docs).
        pub const VERB_NAMES: &[&str] = &[$(stringify!($v)),*];

        $(impl From<host::$h::$H> for HostFault {
            fn from(k: host::$h::$H) -> HostFault {
                HostFault::$H(k)
            }
        })*
        $(impl From<timeline::$v::$V> for Action {
            fn from(k: timeline::$v::$V) -> Action {
                Action::$V(k)
            }
        })*

        /// One `faults:` entry as written: `nodes`, a window and exactly one
        /// kind key.
        #[derive(Clone, Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct FaultRaw {
            pub nodes: Option<crate::scenario::raw::TargetRaw>,
            pub from: Option<crate::scenario::raw::Dur>,
            pub until: Option<crate::scenario::raw::Dur>,
            $(pub $h: Option<<host::$h::$H as HostFaultKind>::Raw>,)*
        }

        impl FaultRaw {
            /// The kind keys present, in registry order.
            pub fn present(&self) -> Vec<&'static str> {
                let mut v = Vec::new();
                $(if self.$h.is_some() {
                    v.push(stringify!($h));
                })*
                v
            }

            /// Resolve the (first) kind present; `path` is `faults[i]`.
            pub fn resolve_kind(
                &self,
                r: &mut Resolver,
                path: &str,
            ) -> Option<Result<HostFault, ScenarioError>> {
                $(if let Some(raw) = &self.$h {
                    let kp = format!("{path}.{}", stringify!($h));
                    return Some(
                        <host::$h::$H as HostFaultKind>::resolve(raw, r, &kp).map(HostFault::$H),
                    );
                })*
                None
            }
        }

        /// One `timeline:` entry as written: `at` and exactly one verb key.
        #[derive(Clone, Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct ActionRaw {
            pub at: Option<crate::scenario::raw::Dur>,
            $(pub $v: Option<<timeline::$v::$V as VerbKind>::Raw>,)*
        }

        impl ActionRaw {
            /// The verb keys present, in registry order.
            pub fn present(&self) -> Vec<&'static str> {
                let mut v = Vec::new();
                $(if self.$v.is_some() {
                    v.push(stringify!($v));
                })*
                v
            }

            /// Resolve the (first) verb present; `path` is `timeline[index]`.
            pub fn resolve_kind(
                &self,
                r: &mut Resolver,
                path: &str,
                index: usize,
            ) -> Option<Result<Action, ScenarioError>> {
                $(if let Some(raw) = &self.$v {
                    let kp = format!("{path}.{}", stringify!($v));
                    return Some(
                        <timeline::$v::$V as VerbKind>::resolve(raw, r, &kp, index)
                            .map(Action::$V),
                    );
                })*
                None
            }
        }

        impl HostFault {
            /// Its key in the file.
            pub fn name(&self) -> &'static str {
                match self {
                    $(HostFault::$H(_) => stringify!($h),)*
                }
            }

            pub fn exclusive(&self) -> Option<Exclusive> {
                match self {
                    $(HostFault::$H(_) => <host::$h::$H as HostFaultKind>::EXCLUSIVE,)*
                }
            }

            /// `key: value` as YAML.
            pub fn render(&self) -> Result<String, String> {
                match self {
                    $(HostFault::$H(k) => Ok(format!("{}: {}", stringify!($h), k.render()?)),)*
                }
            }

            pub fn install(
                &self,
                window: Window,
                node: crate::protocol::NodeId,
                stream: crate::random::Stream,
                env: &mut dyn BuildEnv,
            ) {
                match self {
                    $(HostFault::$H(k) => k.install(window, node, stream, env),)*
                }
            }

            pub fn degraded(&self) -> DegradedWindow {
                match self {
                    $(HostFault::$H(k) => k.degraded(),)*
                }
            }

            pub fn lingers(&self) -> Option<&crate::random::Dist> {
                match self {
                    $(HostFault::$H(k) => k.lingers(),)*
                }
            }

            /// The generators of the kinds the checker draws, in registry order.
            pub fn generators() -> Vec<fn(&mut gen::Gen) -> HostFault> {
                let mut v: Vec<fn(&mut gen::Gen) -> HostFault> = Vec::new();
                $(if <host::$h::$H as HostFaultKind>::GENERATED {
                    v.push(|g| HostFault::$H(<host::$h::$H as HostFaultKind>::generate(g)));
                })*
                v
            }
        }

        impl Action {
            /// Its key in the file.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Action::$V(_) => stringify!($v),)*
                }
            }

            /// `key: value` as YAML.
            pub fn render(&self, t: &Targets) -> Result<String, String> {
                match self {
                    $(Action::$V(k) => Ok(format!("{}: {}", stringify!($v), k.render(t)?)),)*
                }
            }

            pub fn prepare(&self, at: Nanos, env: &mut dyn BuildEnv) {
                match self {
                    $(Action::$V(k) => k.prepare(at, env),)*
                }
            }

            pub fn apply(&self, env: &mut dyn RunEnv) {
                match self {
                    $(Action::$V(k) => k.apply(env),)*
                }
            }

            pub fn pairing(&self) -> Pairing<'_> {
                match self {
                    $(Action::$V(k) => k.pairing(),)*
                }
            }

            pub fn lasts(&self) -> Nanos {
                match self {
                    $(Action::$V(k) => k.lasts(),)*
                }
            }

            pub fn parked_nodes(&self) -> &[crate::protocol::NodeId] {
                match self {
                    $(Action::$V(k) => k.parked_nodes(),)*
                }
            }

            pub fn mark(&self, who: &dyn Fn(&[crate::protocol::NodeId]) -> String) -> Option<String> {
                match self {
                    $(Action::$V(k) => k.mark(who),)*
                }
            }

            pub fn map_nodes(
                &mut self,
                map: &mut dyn FnMut(&[crate::protocol::NodeId]) -> Vec<crate::protocol::NodeId>,
            ) -> bool {
                match self {
                    $(Action::$V(k) => k.map_nodes(map),)*
                }
            }

            /// The episode generators of the verbs with `role`, in registry order.
            pub fn generators(role: GenRole) -> Vec<fn(&mut gen::Episode)> {
                let mut v: Vec<fn(&mut gen::Episode)> = Vec::new();
                $(if <timeline::$v::$V as VerbKind>::GEN == role {
                    v.push(<timeline::$v::$V as VerbKind>::generate);
                })*
                v
            }
        }

        impl FaultEvent {
            pub fn fire(self, env: &mut dyn RunEnv) {
                match self {
                    $(FaultEvent::$V(e) => e.fire(env),)*
                }
            }
        }
    };
}
