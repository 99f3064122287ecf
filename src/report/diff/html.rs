//! `diff --format html`: the drift between two snapshots as one self-contained page, in the style
//! of the check's HTML report ([`crate::report::html`]): both snapshots, the totals, then a table
//! per class (widened first, then narrowed, then neutral) with each change's values before and
//! after and its chain, then what could not be compared.
//!
//! Owns: the page's markup. Same rules as the check's page: no script, nothing loaded, every value
//! escaped by maud and made safe for a terminal.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::diff::{Change, Class, Diff, Side};
use crate::text::shown;

const NL: PreEscaped<&str> = PreEscaped("\n");

fn t(text: &str) -> String {
    shown(text).into_owned()
}

fn side(label: &str, path: &str, side: &Side) -> Markup {
    html! {
        dt { (label) }
        dd {
            code { (t(path)) }
            @if let Some(instance) = &side.instance { ", " (t(instance)) }
            @if let Some(tenant) = &side.tenant { " (tenant " (t(tenant)) ")" }
            @if let Some(at) = &side.fetched_at { ", snapshot of " (t(at)) }
            @if let Some(scope) = side.scope.as_deref().filter(|s| *s != "all") { ", scope " (t(scope)) }
        }
    }
}

fn class_badge(class: Class) -> Markup {
    let (css, label) = match class {
        Class::Widened => ("status st-excessive", "▲ widened"),
        Class::Narrowed => ("status st-passed", "▼ narrowed"),
        Class::Neutral => ("status st-note", "~ neutral"),
    };
    html! { span class=(css) { (label) } }
}

fn row(change: &Change) -> Markup {
    html! {
        tr {
            td { (class_badge(change.class)) }
            th scope="row" { (change.subject.kind.as_str()) " " (t(&change.subject.name)) }
            td {
                (t(&change.message))
                @if let Some(permission) = &change.permission { br; code { (t(permission)) } }
            }
            td { @if let Some(before) = &change.before { (t(before)) } }
            td { @if let Some(after) = &change.after { (t(after)) } }
            td.chain {
                @if !change.chain.is_empty() {
                    details {
                        summary { "Chain (" (change.chain.len()) ")" }
                        ol { @for line in &change.chain { li { (t(line)) } } }
                    }
                }
            }
        }
        (NL)
    }
}

/// Renders the drift as an HTML page.
#[must_use]
pub fn render(diff: &Diff, paths: (&str, &str)) -> String {
    let sections = [
        (
            Class::Widened,
            "Widened",
            "What the newer snapshot grants beyond the older one",
        ),
        (
            Class::Narrowed,
            "Narrowed",
            "What the newer snapshot no longer grants",
        ),
        (
            Class::Neutral,
            "Neutral",
            "Changes that neither widen nor narrow what is granted",
        ),
    ];
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "halo-audit drift" @if let Some(tenant) = diff.new.tenant.as_deref().or(diff.new.instance.as_deref()) { ": " (t(tenant)) } }
                (NL)
                style { (NL) (PreEscaped(crate::report::html::CSS)) }
                (NL)
            }
            (NL)
            body {
                header {
                    h1 { "HaloPSA permission drift" }
                    p class=(if diff.count(Class::Widened) > 0 { "verdict verdict-failed" } else { "verdict verdict-passed" }) {
                        @if diff.changes.is_empty() { "✓ No drift" }
                        @else {
                            (diff.count(Class::Widened)) " widened, " (diff.count(Class::Narrowed)) " narrowed, "
                            (diff.count(Class::Neutral)) " neutral"
                        }
                    }
                    (NL)
                    dl.meta {
                        (side("Old", paths.0, &diff.old))
                        (side("New", paths.1, &diff.new))
                    }
                }
                (NL)
                main {
                    @if diff.changes.is_empty() {
                        p {
                            @if diff.not_compared.is_empty() { "No drift: the two snapshots grant the same." }
                            @else { "No drift in what both snapshots hold (see what could not be compared below)." }
                        }
                    }
                    @for (class, heading, caption) in sections {
                        @let changes: Vec<&Change> = diff.changes.iter().filter(|c| c.class == class).collect();
                        @if !changes.is_empty() {
                            section aria-labelledby=(class.as_str()) {
                                h2 id=(class.as_str()) { (heading) " (" (changes.len()) ")" }
                                table {
                                    caption { (caption) }
                                    (super::super::html::head(&["Class", "Subject", "Change", "Before", "After", "How it was decided"]))
                                    (NL)
                                    tbody { @for change in changes { (row(change)) } }
                                }
                            }
                            (NL)
                        }
                    }
                    @if !diff.not_compared.is_empty() {
                        section aria-labelledby="not-compared" {
                            h2 #not-compared { "Not compared" }
                            p { "Unknown, not unchanged:" }
                            ul { @for item in &diff.not_compared { li { (t(&item.what)) ": " (t(&item.reason)) } } }
                        }
                        (NL)
                    }
                    @if !diff.not_comparable.is_empty() {
                        section aria-labelledby="not-comparable" {
                            h2 #not-comparable { "Not comparable (" (diff.not_comparable.len()) ")" }
                            p { "In one snapshot only, absent from a list the other did not read whole: neither created nor deleted." }
                            ul { @for item in &diff.not_comparable { li { (item.subject.kind.as_str()) " " (t(&item.subject.name)) " (id " (t(&item.subject.id)) "): " (t(&item.reason)) } } }
                        }
                        (NL)
                    }
                }
                footer { p { "Written by halo-audit " (env!("CARGO_PKG_VERSION")) "." } }
                (NL)
            }
        }
        (NL)
    };
    page.into_string()
}
