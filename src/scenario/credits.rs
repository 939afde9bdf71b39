//! AWS burstable instance presets (incidents.md §2).
//!
//! Why a table: SREs think in instance types ("a t2.micro ran out of credits"),
//! not in earn rates. Each row is the AWS credit table; a scenario may override
//! any field. T2 Standard gives 30 launch credits per vCPU at every launch or
//! start; T3 gives none and defaults to Unlimited mode.

/// One row of the AWS credit table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Instance {
    pub name: &'static str,
    pub vcpus: u32,
    /// Credits earned per hour (1 credit = 1 vCPU-minute).
    pub earn_per_hour: f64,
    /// Cap on earned credits (24 h of earnings).
    pub cap: f64,
    /// Baseline per vCPU, as a fraction of one vCPU.
    pub baseline: f64,
    pub launch_credits: f64,
    /// AWS default credit mode for the family.
    pub unlimited: bool,
}

const fn row(
    name: &'static str,
    vcpus: u32,
    earn_per_hour: f64,
    cap: f64,
    baseline: f64,
    launch_credits: f64,
    unlimited: bool,
) -> Instance {
    Instance {
        name,
        vcpus,
        earn_per_hour,
        cap,
        baseline,
        launch_credits,
        unlimited,
    }
}

/// t2.nano…large and t3.nano…large. t2.large and t3.medium/large are from AWS's
/// current table (baseline = earn / vCPUs / 60 holds for every row).
pub const INSTANCES: &[Instance] = &[
    row("t2.nano", 1, 3.0, 72.0, 0.05, 30.0, false),
    row("t2.micro", 1, 6.0, 144.0, 0.10, 30.0, false),
    row("t2.small", 1, 12.0, 288.0, 0.20, 30.0, false),
    row("t2.medium", 2, 24.0, 576.0, 0.20, 60.0, false),
    row("t2.large", 2, 36.0, 864.0, 0.30, 60.0, false),
    row("t3.nano", 2, 6.0, 144.0, 0.05, 0.0, true),
    row("t3.micro", 2, 12.0, 288.0, 0.10, 0.0, true),
    row("t3.small", 2, 24.0, 576.0, 0.20, 0.0, true),
    row("t3.medium", 2, 24.0, 576.0, 0.20, 0.0, true),
    row("t3.large", 2, 36.0, 864.0, 0.30, 0.0, true),
];

pub fn instance(name: &str) -> Option<&'static Instance> {
    INSTANCES.iter().find(|i| i.name == name)
}

pub fn names() -> String {
    INSTANCES
        .iter()
        .map(|i| i.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_is_earnings_per_vcpu_minute() {
        // AWS: baseline % = (credits earned per hour / vCPUs) / 60.
        for i in INSTANCES {
            let b = i.earn_per_hour / f64::from(i.vcpus) / 60.0;
            assert!((b - i.baseline).abs() < 1e-9, "{}", i.name);
            assert!((i.cap - 24.0 * i.earn_per_hour).abs() < 1e-9, "{}", i.name);
        }
    }
}
