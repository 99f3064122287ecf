//! Catalog overlays: a user's own corrections and extensions of the permission catalog, applied
//! without rebuilding (`--catalog FILE`).
//!
//! Owns: the overlay file format, its validation (every problem at once, each at its file:line:col,
//! like rule files) and applying it to a copy of the built-in catalog. An overlay can name the claim
//! type Halo uses for a permission (for one the catalog cannot read, or where a tenant uses another
//! code), add older names, and add or correct claim values. Entries it touches are marked as the
//! user's own, and findings that rest on them say so. It never reads snapshots or rules.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::catalog::{Catalog, Kind, PermRef, Source, ValueTable};

use super::model::Sp;
use super::{Location, RuleFile, RuleProblem, RulesError, parse_problem, problem, yaml_options};

/// An overlay file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverlay {
    #[serde(default)]
    permissions: Vec<Sp<RawEntry>>,
}

/// One permission's correction.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    /// A catalog permission: key, label or alias.
    permission: Sp<String>,
    /// Halo's claim type for it (replaces the catalog's).
    #[serde(default)]
    claim: Option<Sp<String>>,
    /// Older names of the same claim.
    #[serde(default)]
    legacy_claims: Vec<Sp<String>>,
    /// Claim value → level (as rules name levels) or yes/no; added to the permission's table.
    #[serde(default)]
    values: BTreeMap<Sp<String>, Sp<String>>,
    /// Why (shown nowhere yet; for the file's reader).
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

/// Applies the overlay files, in order, to a copy of `base`.
///
/// # Errors
/// [`RulesError::InvalidCatalog`] with every problem found, each at its place.
pub fn apply(base: &Catalog, files: &[RuleFile]) -> Result<Catalog, RulesError> {
    let mut catalog = base.clone();
    let mut problems: Vec<RuleProblem> = Vec::new();
    for file in files {
        let raw: RawOverlay = if file.text.trim().is_empty() {
            RawOverlay::default()
        } else {
            match serde_saphyr::from_str_with_options(&file.text, yaml_options()) {
                Ok(raw) => raw,
                Err(e) => {
                    problems.push(parse_problem(
                        file,
                        &e,
                        "cannot parse catalog overlay",
                        "an overlay holds `permissions:`, a list of {permission, claim, legacy_claims, values}; docs/permissions.md has an example".to_owned(),
                    ));
                    continue;
                }
            }
        };
        for entry in &raw.permissions {
            apply_entry(&mut catalog, file, entry, &mut problems);
        }
    }
    if problems.is_empty() {
        catalog.reindex().map_err(|e| RulesError::InvalidCatalog {
            problems: vec![RuleProblem {
                message: e.to_string(),
                src: miette::NamedSource::new("catalog overlay", std::sync::Arc::from("")),
                span: None,
                label: String::new(),
                help: Some("check the overlay's claim types and values".to_owned()),
                location: Location {
                    path: files.first().map_or_else(String::new, |f| f.name.clone()),
                    line: 0,
                    column: 0,
                },
            }],
        })?;
        Ok(catalog)
    } else {
        Err(RulesError::InvalidCatalog { problems })
    }
}

fn apply_entry(
    catalog: &mut Catalog,
    file: &RuleFile,
    entry: &Sp<RawEntry>,
    problems: &mut Vec<RuleProblem>,
) {
    let e = &entry.value;
    let mut push = |at: &dyn Fn() -> RuleProblem| problems.push(at());
    let Some(PermRef::Agent(index)) = catalog.resolve(&e.permission.value) else {
        let suggestions = catalog.suggest(&e.permission.value);
        push(&|| {
            problem(
                file,
                &e.permission,
                format!(
                    "`{}` is not a permission of the catalog",
                    e.permission.value
                ),
                "unknown permission",
                Some(if suggestions.is_empty() {
                    "docs/permissions.md lists every permission; an overlay corrects existing ones"
                        .to_owned()
                } else {
                    format!("did you mean {}?", suggestions.join(", "))
                }),
            )
        });
        return;
    };
    let perm = catalog.permissions[index].clone();
    let place = format!("{}:{}", file.name, entry.line);
    if let Some(claim) = &e.claim {
        let code = claim.value.trim();
        match &perm.source {
            Source::Claim(_) | Source::Unknown(_) => {}
            other => {
                let what = match other {
                    Source::Field(f) | Source::FieldNegated(f) => {
                        format!("the agent's field `{f}`")
                    }
                    _ => "the tenant's structure".to_owned(),
                };
                push(&|| {
                    problem(
                        file,
                        claim,
                        format!("`{}` is read from {what}, not from a claim", perm.key),
                        "not a claim permission",
                        Some("only permissions read from claims (or not readable at all) take a claim type".to_owned()),
                    )
                });
                return;
            }
        }
        if code.is_empty() || code.contains(char::is_whitespace) {
            push(&|| {
                problem(
                    file,
                    claim,
                    "a claim type is a code without spaces, such as `Tx`".to_owned(),
                    "not a claim type",
                    None,
                )
            });
            return;
        }
    }
    let claim_code = e.claim.as_ref().map(|c| c.value.trim().to_owned());
    let becomes_claim = claim_code.is_some() || matches!(perm.source, Source::Claim(_));
    if !becomes_claim {
        push(&|| {
            problem(
                file,
                &e.permission,
                format!(
                    "`{}` is not read from a claim; give `claim:` with Halo's claim type for it",
                    perm.key
                ),
                "no claim",
                None,
            )
        });
        return;
    }
    // Values: level text resolved like rules do, or yes/no.
    let mut values: Vec<(String, String)> = Vec::new();
    for (raw, to) in &e.values {
        let read = match perm.kind {
            Kind::Flag => match to.value.trim().to_ascii_lowercase().as_str() {
                "yes" | "true" => Some("yes".to_owned()),
                "no" | "false" => Some("no".to_owned()),
                _ => None,
            },
            Kind::Level => catalog
                .resolve_level(&perm, &to.value)
                .and_then(|i| perm.levels.get(i).cloned()),
        };
        match read {
            Some(level) => values.push((raw.value.trim().to_owned(), level)),
            None => {
                let offered = match perm.kind {
                    Kind::Flag => "yes or no".to_owned(),
                    Kind::Level => (0..perm.levels.len())
                        .map(|i| format!("`{}`", catalog.level_label(&perm, i)))
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                push(&|| {
                    problem(
                        file,
                        to,
                        format!(
                            "`{}` is not a level of `{}` ({})",
                            to.value, perm.key, perm.label
                        ),
                        "unknown level",
                        Some(format!("{} offers {offered}", perm.label)),
                    )
                });
            }
        }
    }
    if perm.kind == Kind::Flag
        && perm.scale.is_none()
        && perm.values.0.is_empty()
        && values.is_empty()
    {
        push(&|| {
            problem(
                file,
                &e.permission,
                format!(
                    "`{}` has no value table yet: give `values`, e.g. {{\"1\": yes, \"0\": no}}",
                    perm.key
                ),
                "no values",
                None,
            )
        });
        return;
    }
    // Claim types must stay unique across the catalog.
    let mut types: Vec<&Sp<String>> = e.legacy_claims.iter().collect();
    if let Some(c) = &e.claim {
        types.push(c);
    }
    for t in types {
        if let Some((other, owner)) = catalog.by_claim(t.value.trim())
            && other != index
        {
            let key = owner.key.clone();
            push(&|| {
                problem(
                    file,
                    t,
                    format!("claim type `{}` already carries `{key}`", t.value.trim()),
                    "claim type taken",
                    Some(
                        "claim types are case-sensitive codes; each carries one permission"
                            .to_owned(),
                    ),
                )
            });
            return;
        }
    }
    let target = &mut catalog.permissions[index];
    if let Some(code) = claim_code {
        target.source = Source::Claim(code);
    }
    target
        .legacy_claims
        .extend(e.legacy_claims.iter().map(|l| l.value.trim().to_owned()));
    let mut merged: Vec<(String, String)> = target.values.0.clone();
    for (raw, to) in values {
        match merged.iter_mut().find(|(r, _)| *r == raw) {
            Some(slot) => slot.1 = to,
            None => merged.push((raw, to)),
        }
    }
    target.values = ValueTable(merged);
    target.user_source = Some(place);
}
