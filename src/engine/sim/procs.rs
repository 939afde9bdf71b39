//! Process lifecycle: the protocol node of each host slot, started converged,
//! joined, stopped, and driven with a [`Rt`] onto the world.

use crate::protocol::{Nanos, Node, NodeId};
use crate::random::{Stream, StreamId};

use super::super::{Observer, Truth};
use super::world::Rt;
use super::Simulation;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Life {
    NotStarted,
    Up,
    Leaving,
    Crashed,
    Left,
}

/// One node's process slot.
pub(super) struct Proc {
    pub(super) node: Option<Node>,
    pub(super) rng: Stream,
    pub(super) life: Life,
    /// Bumped whenever the process stops or is replaced: stale timers are dropped.
    pub(super) epoch: u32,
    /// Protocol stream generation (restarts get fresh randomness).
    pub(super) generation: u32,
    pub(super) started_once: bool,
}

impl Proc {
    /// A slot whose process has not started; generation 0 of its stream.
    pub(super) fn fresh(node: NodeId, seed: u64) -> Proc {
        Proc {
            node: None,
            rng: Stream::new(
                seed,
                StreamId::Protocol {
                    node,
                    generation: 0,
                },
            ),
            life: Life::NotStarted,
            epoch: 0,
            generation: 0,
            started_once: false,
        }
    }
}

impl Simulation {
    pub(super) fn init(&mut self, obs: &mut impl Observer) {
        // Static link rules degrade their smaller side from the start.
        let rules = self.timeline_free_rules();
        for node in rules {
            self.w.degrade(obs, node, true);
        }
        if self.converged {
            let members = self.starting.clone();
            for &id in &members {
                self.w.truth(obs, id, Truth::Up);
            }
            for &id in &members {
                let p = &mut self.procs[id as usize];
                p.node = Some(Node::new(id, self.w.config.clone(), self.roster.clone()));
                p.life = Life::Up;
                p.started_once = true;
                self.w.up[id as usize] = true;
            }
            for (k, &id) in members.iter().enumerate() {
                let now = self.w.now;
                let staggered = self.staggered;
                self.drive(obs, id, now, |node, now, rt| match staggered {
                    Some(s) => {
                        node.start_converged_phased(now, &members, s.offset(k), s.uptime, rt)
                    }
                    None => node.start_converged(now, &members, rt),
                });
            }
        }
    }

    /// Nodes touched by static link rules (see module docs), sorted, unique.
    pub(super) fn timeline_free_rules(&self) -> Vec<NodeId> {
        self.rule_touch.clone()
    }

    /// Call the protocol of `id` with a runtime whose sends leave at `depart`.
    pub(super) fn drive_at<O: Observer>(
        &mut self,
        obs: &mut O,
        id: NodeId,
        depart: Nanos,
        f: impl FnOnce(&mut Node, Nanos, &mut Rt<'_, O>),
    ) {
        let now = self.w.now;
        let p = &mut self.procs[id as usize];
        let Some(node) = p.node.as_mut() else {
            return;
        };
        let mut rt = Rt {
            w: &mut self.w,
            obs,
            rng: &mut p.rng,
            id,
            epoch: p.epoch,
            now,
            depart,
        };
        f(node, now, &mut rt);
    }

    pub(super) fn drive<O: Observer>(
        &mut self,
        obs: &mut O,
        id: NodeId,
        now: Nanos,
        f: impl FnOnce(&mut Node, Nanos, &mut Rt<'_, O>),
    ) {
        self.drive_at(obs, id, now, f);
    }

    /// Seeds for a (re)joining node: the scenario's join seeds that are up, else
    /// the three lowest-id up nodes.
    pub(super) fn seeds_for(&self, node: NodeId) -> Vec<NodeId> {
        let up = |&s: &NodeId| s != node && self.w.up.get(s as usize).copied().unwrap_or(false);
        let seeds: Vec<NodeId> = self.join_seeds.iter().copied().filter(up).collect();
        if !seeds.is_empty() {
            return seeds;
        }
        (0..self.procs.len() as NodeId).filter(up).take(3).collect()
    }

    /// Start a fresh process on `node` and join (`seeds` None = pick them now).
    pub(super) fn start_process(
        &mut self,
        obs: &mut impl Observer,
        node: NodeId,
        seeds: Option<&[NodeId]>,
    ) {
        let now = self.w.now;
        let seed = self.w.seed;
        let seeds = match seeds {
            Some(s) => s.to_vec(),
            None => self.seeds_for(node),
        };
        let p = &mut self.procs[node as usize];
        if p.started_once {
            p.generation += 1;
            p.rng = Stream::new(
                seed,
                StreamId::Protocol {
                    node,
                    generation: p.generation,
                },
            );
        }
        p.started_once = true;
        p.epoch = p.epoch.wrapping_add(1);
        p.life = Life::Up;
        p.node = Some(Node::new(node, self.w.config.clone(), self.roster.clone()));
        self.w.epochs[node as usize] = p.epoch;
        self.w.up[node as usize] = true;
        self.w.hosts[node as usize].reset(now);
        self.w.truth(obs, node, Truth::Up);
        self.drive(obs, node, now, |n, now, rt| n.start_join(now, &seeds, rt));
    }

    /// The process of `node` is gone: drop it and its pending work.
    pub(super) fn stop_process(&mut self, node: NodeId) {
        let now = self.w.now;
        let p = &mut self.procs[node as usize];
        p.node = None;
        p.epoch = p.epoch.wrapping_add(1);
        self.w.epochs[node as usize] = p.epoch;
        self.w.up[node as usize] = false;
        self.w.hosts[node as usize].reset(now);
    }

    /// `start: join` mode: start `node` and join the scenario's seeds but itself.
    pub(super) fn start_join(&mut self, obs: &mut impl Observer, node: NodeId) {
        let seeds: Vec<NodeId> = self
            .join_seeds
            .iter()
            .copied()
            .filter(|&s| s != node)
            .collect();
        self.start_process(obs, node, Some(&seeds));
    }

    /// A leaving process stops once its leave is broadcast or its grace is over
    /// (see the module docs of [`super`]); else look again later.
    pub(super) fn leave_stop(&mut self, node: NodeId, epoch: u32, deadline: Nanos) {
        let now = self.w.now;
        let p = &mut self.procs[node as usize];
        if p.epoch == epoch && p.life == Life::Leaving {
            let done = p.node.as_ref().is_none_or(|n| n.leave_finished());
            if done || now >= deadline {
                p.life = Life::Left;
                self.stop_process(node);
            } else {
                self.w.schedule_leave_stop(now, node, epoch, deadline);
            }
        }
    }
}
