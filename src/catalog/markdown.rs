//! The reference tables of `docs/permissions.md`, generated from the catalog.

use super::{Catalog, Confidence, Derived, Kind, Source};

impl Catalog {
    /// The reference tables of `docs/permissions.md` (generated; a test keeps the file current).
    #[must_use]
    pub fn markdown(&self) -> String {
        use std::fmt::Write as _;
        let cell = |s: &str| s.replace('|', "\\|");
        let mut out = String::from(
            "### Agent permissions\n\n| key | Halo UI label | aliases | kind / levels | read from | confidence |\n|---|---|---|---|---|---|\n",
        );
        for p in &self.permissions {
            let kind = match (p.kind, &p.scale) {
                (Kind::Flag, None) => "yes/no".to_owned(),
                (Kind::Flag, Some(scale)) => format!("yes/no (scale `{scale}`)"),
                (Kind::Level, scale) => {
                    let levels = if p.is_total() {
                        p.levels
                            .iter()
                            .filter_map(|l| self.level(l))
                            .map(|l| l.label.clone())
                            .collect::<Vec<_>>()
                            .join(" < ")
                    } else {
                        "partly ordered, see the scale".to_owned()
                    };
                    match scale {
                        Some(scale) => format!("{levels} (scale `{scale}`)"),
                        None => levels,
                    }
                }
            };
            let source = match &p.source {
                Source::Field(f) => format!("field `{f}`"),
                Source::FieldNegated(f) => format!("not field `{f}`"),
                Source::Claim(c) => {
                    let mut text = format!("claim `{c}`");
                    if !p.legacy_claims.is_empty() {
                        let legacy: Vec<String> =
                            p.legacy_claims.iter().map(|l| format!("`{l}`")).collect();
                        text.push_str(&format!(" (older: {})", legacy.join(", ")));
                    }
                    if let Some(field) = &p.also_field {
                        text.push_str(&format!(" and field `{field}`"));
                    }
                    if let Some(Source::Derived(d)) = &p.fallback {
                        text.push_str(&format!("; else derived `{}`", derived_name(*d)));
                    }
                    text
                }
                Source::Derived(d) => format!("derived `{}`", derived_name(*d)),
                Source::Unknown(_) => "not known".to_owned(),
            };
            let source = if p.ui_only.is_some() {
                format!("{source} (enforced in the UI only)")
            } else {
                source
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} |",
                p.key,
                cell(&p.label),
                cell(&p.aliases.join(", ")),
                cell(&kind),
                source,
                p.confidence.as_str()
            );
        }
        out.push_str("\n### Scales\n\nHow a claim's value reads (an explicit table; a value it does not list is unverifiable) and the privilege order of what it reads as. Levels that no chain connects are not comparable.\n\n| scale | values | order | confidence | used for |\n|---|---|---|---|---|\n");
        for scale in &self.scales {
            let mut values: Vec<String> = scale
                .values
                .0
                .iter()
                .map(|(raw, to)| {
                    let label = self.level(to).map_or(to.as_str(), |l| l.label.as_str());
                    format!("`{raw}` {label}")
                })
                .collect();
            values.extend(
                scale
                    .undecoded
                    .0
                    .iter()
                    .map(|(raw, _)| format!("`{raw}` seen, level unknown")),
            );
            let order: Vec<String> = scale
                .order
                .iter()
                .map(|chain| {
                    chain
                        .split('<')
                        .map(|l| self.level(l.trim()).map_or(l.trim(), |d| d.label.as_str()))
                        .collect::<Vec<_>>()
                        .join(" < ")
                })
                .collect();
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                scale.key,
                cell(&if values.is_empty() {
                    "none decoded".to_owned()
                } else {
                    values.join(", ")
                }),
                cell(&if order.is_empty() {
                    "yes/no".to_owned()
                } else {
                    order.join("; ")
                }),
                scale.confidence.as_str(),
                cell(scale.description.as_deref().unwrap_or(""))
            );
        }
        let ui_only: Vec<String> = self
            .permissions
            .iter()
            .filter_map(|p| {
                p.ui_only
                    .as_ref()
                    .map(|why| format!("| `{}` | {} |", p.key, cell(why)))
            })
            .collect();
        if !ui_only.is_empty() {
            out.push_str("\n### Enforced in the UI only\n\nFindings that rely on these settings say that they do not limit an integration.\n\n| key | why |\n|---|---|\n");
            for row in ui_only {
                out.push_str(&row);
                out.push('\n');
            }
        }
        out.push_str("\n### Levels\n\n| key | label | aliases |\n|---|---|---|\n");
        for l in &self.levels {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                l.key,
                cell(&l.label),
                cell(&l.aliases.join(", "))
            );
        }
        out.push_str("\n### Scopes\n\nA requirement names a scope as `scope:NAME` (or just `NAME`, or the vendor's spelling such as `Edit: sales`).\n\n| scope | implies | confidence of the implication |\n|---|---|---|\n");
        for s in &self.scopes {
            let one = [s.name.clone()];
            let implied = self.implied_scopes(&s.name);
            let confidence = implied
                .iter()
                .filter_map(|i| self.scope_grant(one.iter(), i))
                .map(|g| g.confidence)
                .min()
                .map_or("", Confidence::as_str);
            let implied = if implied.len() > 8 {
                format!(
                    "{} scopes ({}, ...)",
                    implied.len(),
                    implied[..4].join(", ")
                )
            } else {
                implied.join(", ")
            };
            let _ = writeln!(out, "| `{}` | {} | {} |", s.name, implied, confidence);
        }
        out
    }
}

fn derived_name(d: Derived) -> String {
    serde_json::to_value(d)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
