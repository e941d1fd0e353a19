//! The `faultline faults` listing: every scripted fault kind with the keys it accepts,
//! their defaults and one-line docs, generated from the fault registry
//! ([`sim_core::model::faults::KINDS`]), so it cannot drift from what the reader takes.

use serde_json::json;
use sim_core::model::faults::{COMMON_KEYS, FaultKind, KINDS, KeyDoc, Scope, accepted_keys};

/// What a kind acts on, in words.
fn scope_words(kind: &dyn FaultKind) -> &'static str {
    match (kind.scope(), kind.on_links()) {
        (Scope::Cluster { .. }, _) => "cluster-wide",
        (Scope::Servers, true) => "links of the servers",
        (Scope::Servers, false) => "servers",
    }
}

/// The listing as JSON: each kind with its doc, what it acts on and every key it accepts
/// (a required one has `default` null).
pub fn faults_json() -> serde_json::Value {
    let kinds: Vec<_> = KINDS
        .iter()
        .map(|kind| {
            let keys: Vec<_> = accepted_keys(*kind)
                .iter()
                .map(|k| json!({ "name": k.name, "default": k.default, "help": k.doc }))
                .collect();
            json!({
                "name": kind.name(),
                "summary": kind.doc(),
                "acts_on": scope_words(*kind),
                "peer": kind.on_links(),
                "keys": keys,
            })
        })
        .collect();
    json!({ "table": "faults.scripted", "kinds": kinds })
}

/// The listing as text: the keys every fault takes, then each kind with what it acts on
/// and its own keys.
pub fn faults_listing() -> String {
    let width = KINDS
        .iter()
        .flat_map(|k| k.keys())
        .chain(COMMON_KEYS)
        .map(|k| k.name.len())
        .max()
        .unwrap_or(0)
        .max(18);
    let key_line = |key: &KeyDoc| {
        let default = key.default.unwrap_or("required");
        format!("      {:<width$} {:<12} {}\n", key.name, default, key.doc)
    };
    let mut out = String::from("[[faults.scripted]]  (one table per fault) every fault takes:\n");
    for key in COMMON_KEYS {
        out.push_str(&key_line(key));
    }
    out.push_str(
        "  (no `server` or `servers` for a cluster-wide kind; `peer` only for one on links)\n\n",
    );
    for kind in KINDS {
        out.push_str(&format!(
            "  {:<22} {} ({}{})\n",
            kind.name(),
            kind.doc(),
            scope_words(*kind),
            if kind.on_links() {
                "; takes `peer`"
            } else {
                ""
            }
        ));
        for key in kind.keys() {
            out.push_str(&key_line(key));
        }
    }
    out.push_str(
        "\n[faults.crash]  random crashes of every server: mttf and mttr, each a distribution\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_listed_with_each_key_it_accepts() {
        let text = faults_listing();
        for kind in KINDS {
            let line = text
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{} ", kind.name())))
                .unwrap_or_else(|| panic!("{} is not listed", kind.name()));
            assert!(line.contains(kind.doc()), "{line}");
        }
        let json = faults_json();
        let kinds = json["kinds"].as_array().unwrap();
        assert_eq!(kinds.len(), KINDS.len());
        for (kind, listed) in KINDS.iter().zip(kinds) {
            let names: Vec<&str> = listed["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["name"].as_str().unwrap())
                .collect();
            let expected: Vec<&str> = accepted_keys(*kind).iter().map(|k| k.name).collect();
            assert_eq!(names, expected, "{}", kind.name());
        }
    }
}
