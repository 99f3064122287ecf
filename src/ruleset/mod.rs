//! Requirement sets: the rule language, its loading and validation. The only YAML code besides the
//! catalog's data file.
//!
//! Owns: reading `rules/*.yaml` (and user rule directories) into a spanned raw model (phase one),
//! then validating it into [`RuleSet`]s while collecting *every* problem as a labelled diagnostic
//! pointing at file:line:col (phase two, cargo-deny style), and the published JSON Schema. It does
//! not evaluate anything against a tenant.
//!
//! Parts: `model` (the raw, spanned model of a rule file), `files` (the shipped files, reading
//! from disk, export), `yaml` (parser limits, problems at a place, salvage; shared with the
//! configuration and catalog overlays), `validate` (phase two, into a [`Library`]), `set` (what a
//! validated set holds), `error` (problems and the error carrying them), `schema`, and `overlay`
//! (catalog overlays: user YAML read the same way, applied to a copy of the catalog).

pub mod model;
pub mod overlay;
pub mod schema;

mod error;
mod files;
mod set;
mod validate;
mod yaml;

pub use error::{RuleProblem, RulesError};
pub use files::{
    BUILTIN, EXPORTED_SCHEMA, MAX_YAML_BYTES, RuleFile, builtin_files, exported_files, read_file,
    read_path,
};
pub use set::{
    Alternative, Expect, Library, Location, Policy, PolicyCheck, Requirement, RuleSet, SetKind,
    SourceDoc, Thresholds, glob_match, masked_userinfo, redacted_url,
};
pub use validate::load;
pub(crate) use yaml::{parse_problem, problem, salvage, yaml_options};

#[cfg(test)]
mod tests {
    use super::validate::is_id;
    use super::yaml::mapping_start;
    use super::*;

    #[test]
    fn a_missing_member_is_shown_at_the_start_of_its_mapping() {
        let text = "# comment\nid: x\ntitle: T\nrequirements:\n  - id: a\n    title: A\n\n    # note\n    expect: yes\n  - id: b\nbinding:\n  applications: [x]\n  agent: y\n";
        // A requirement: its `- ` item, whatever blank and comment lines lie between.
        assert_eq!(mapping_start(text, 9, 5), Some((5, 5)));
        assert_eq!(mapping_start(text, 5, 5), Some((5, 5)));
        // The top level: its first key, after the comment.
        assert_eq!(mapping_start(text, 4, 1), Some((2, 1)));
        // A mapping under a key: its first key.
        assert_eq!(mapping_start(text, 13, 3), Some((12, 3)));
        // Not a key of a block mapping at that column, or past the text.
        assert_eq!(mapping_start(text, 12, 7), None);
        assert_eq!(mapping_start(text, 40, 1), None);
        assert_eq!(mapping_start(text, 0, 0), None);
    }

    #[test]
    fn glob_matches_case_insensitively() {
        assert!(glob_match("*cloud depot*", "Cloud Depot API"));
        assert!(glob_match("vCIO*", "vcioToolbox"));
        assert!(glob_match("ab?d", "abcd"));
        assert!(!glob_match("vCIO*", "The vCIO app"));
        assert!(!glob_match("Hudu", "Hudu Sync"));
        // A `*` in the name is text: the pattern's `*` stays a wildcard.
        assert!(glob_match("*CIPP*", "CIPP*em*"));
        assert!(glob_match("*CIPP*", "CIPP*"));
        assert!(glob_match("a*", "a*"));
        assert!(!glob_match("*CIPP", "CIPP*"));
    }

    #[test]
    fn ids_follow_the_convention() {
        assert!(is_id("cloud-depot", false));
        assert!(!is_id("Cloud", false));
        assert!(is_id("cloud-depot.customers.read_only", true));
        assert!(!is_id("", true));
    }
}
