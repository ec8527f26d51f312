//! "Nobody grants what they do not hold" (design §2.12), and its twin: nobody changes a
//! member, a role or someone else's credential that holds privileges they do not hold.

use super::Denial;
use crate::privilege::PrivilegeSet;

/// How many missing privileges a refusal names before it says "and N more".
const NAMED: usize = 5;

/// Refuses unless every privilege in `granted` is in `holder`.
pub fn check_grant(holder: &PrivilegeSet, granted: &PrivilegeSet) -> Result<(), Denial> {
    let missing = missing(holder, granted);
    if missing.is_empty() {
        return Ok(());
    }
    Err(Denial::Forbidden {
        reason: format!(
            "You cannot grant privileges you do not hold: {}.",
            listed(&missing)
        )
        .into(),
    })
}

/// Refuses when the member, role or credential being changed holds a privilege the caller
/// does not.
pub fn check_not_above(holder: &PrivilegeSet, held: &PrivilegeSet) -> Result<(), Denial> {
    let missing = missing(holder, held);
    if missing.is_empty() {
        return Ok(());
    }
    Err(Denial::Forbidden {
        reason: format!(
            "You cannot change a member, role or credential that holds privileges you do not hold: {}.",
            listed(&missing)
        )
        .into(),
    })
}

fn missing<'a>(holder: &PrivilegeSet, wanted: &'a PrivilegeSet) -> Vec<&'a str> {
    wanted.iter().filter(|p| !holder.contains(p)).collect()
}

fn listed(missing: &[&str]) -> String {
    let mut text = missing
        .iter()
        .take(NAMED)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if missing.len() > NAMED {
        text.push_str(&format!(" and {} more", missing.len() - NAMED));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(privileges: &[&str]) -> PrivilegeSet {
        privileges.iter().copied().collect()
    }

    #[test]
    fn a_subset_may_be_granted_and_anything_else_is_named() {
        let holder = set(&["a", "b"]);
        assert!(check_grant(&holder, &set(&["a"])).is_ok());
        assert!(check_grant(&holder, &set(&[])).is_ok());
        let Err(Denial::Forbidden { reason }) = check_grant(&holder, &set(&["a", "c"])) else {
            panic!("c is not held");
        };
        assert!(
            reason.contains("'c'") || reason.contains(": c."),
            "{reason}"
        );
    }

    #[test]
    fn long_lists_are_cut() {
        let wanted: Vec<String> = (0..8).map(|i| format!("p{i}")).collect();
        let wanted: PrivilegeSet = wanted.iter().map(String::as_str).collect();
        let Err(Denial::Forbidden { reason }) = check_not_above(&set(&[]), &wanted) else {
            panic!("nothing is held");
        };
        assert!(reason.ends_with("and 3 more."), "{reason}");
    }
}
