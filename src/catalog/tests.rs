use super::*;

fn catalog() -> &'static Catalog {
    match Catalog::builtin() {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_role_by_name_pattern_resolves_with_its_prefix() {
    let c = Catalog::builtin().unwrap();
    assert_eq!(
        c.resolve(" role: TimeZest* "),
        Some(PermRef::Role("TimeZest*".to_owned()))
    );
    assert_eq!(c.canonical(&PermRef::Role("X".to_owned())), "role:X");
    assert_eq!(c.resolve("role:"), None);
    assert_eq!(c.resolve("role:  "), None);
}

#[test]
fn builtin_catalog_is_consistent() {
    let c = catalog();
    assert!(c.permissions.len() > 50);
    assert!(c.is_scope("all:standard"));
}

#[test]
fn labels_and_aliases_resolve_to_one_key() {
    let c = catalog();
    for text in [
        "Customers",
        "Clients",
        "Customer Access Level",
        "feature.customers",
        "clients access level",
    ] {
        let found = c.resolve(text).map(|p| c.canonical(&p));
        assert_eq!(found.as_deref(), Some("feature.customers"), "{text}");
    }
    for (text, key) in [
        ("Products", "feature.products"),
        ("Items", "feature.products"),
        ("Client Contracts", "feature.customer_agreements"),
        ("Can delete tickets", "ticket.can_delete"),
        ("Is a HaloPSA Admin", "agent.admin"),
        ("Edit: sales", "scope:edit:sales"),
        ("Read:tickets", "scope:read:tickets"),
        ("scope:all:teams", "scope:all:teams"),
    ] {
        assert_eq!(
            c.resolve(text).map(|p| c.canonical(&p)).as_deref(),
            Some(key),
            "{text}"
        );
    }
    assert_eq!(c.resolve("Customers: Widgets"), None);
}

#[test]
fn levels_resolve_per_feature() {
    let c = catalog();
    let Some((_, invoices)) = c.permission("feature.invoices") else {
        panic!("invoices")
    };
    let label = |text: &str| {
        c.resolve_level(invoices, text)
            .map(|i| c.level_label(invoices, i))
    };
    assert_eq!(label("read only").as_deref(), Some("Read Only"));
    assert_eq!(label("R&M").as_deref(), Some("Read and Modify"));
    assert_eq!(
        label("Read, Modify and Remove").as_deref(),
        Some("Read, Modify and Delete"),
        "the decoders' word for the level Halo's UI now calls Read, Modify and Delete"
    );
    assert_eq!(
        label("Read, Create and Modify").as_deref(),
        Some("Read, Create and Modify"),
        "one of Halo's Invoices levels since catalog v3"
    );
    assert_eq!(label("View (Names Only)"), None);
    let Some((_, kb)) = c.permission("feature.knowledge_base") else {
        panic!("kb")
    };
    assert!(c.resolve_level(kb, "Read, Modify and Delete").is_some());
    assert!(c.resolve_level(kb, "Read, Create and Modify").is_none());
}

#[test]
fn scope_lattice_prefers_confirmed_paths() {
    let c = catalog();
    let held = ["edit:tickets".to_owned()];
    let g = c
        .scope_grant(held.iter(), "read:tickets")
        .unwrap_or_else(|| panic!("granted"));
    assert_eq!(g.confidence, Confidence::Confirmed);
    let held = ["edit:invoices".to_owned()];
    let g = c
        .scope_grant(held.iter(), "read:invoices")
        .unwrap_or_else(|| panic!("granted"));
    assert_eq!(g.confidence, Confidence::Assumed);
    let held = ["all:standard".to_owned()];
    assert!(c.scope_grant(held.iter(), "read:crm").is_some());
    assert!(c.scope_grant(held.iter(), "admin:webhooks").is_none());
    assert!(c.scope_grant(held.iter(), "all:teams").is_none());
    let held = ["all".to_owned()];
    let g = c
        .scope_grant(held.iter(), "admin")
        .unwrap_or_else(|| panic!("granted"));
    assert_eq!(g.chain, vec!["all".to_owned(), "admin".to_owned()]);
    let held = ["read:tickets".to_owned()];
    assert!(c.scope_grant(held.iter(), "edit:tickets").is_none());
}

#[test]
fn claim_values_read_through_explicit_tables() {
    let c = catalog();
    let level = |key: &str, raw: &str| {
        let (_, p) = c.permission(key).unwrap_or_else(|| panic!("{key}"));
        c.claim_value(p, raw).map(|v| match v {
            ClaimValue::Level(l) => c.level_label(p, l),
            ClaimValue::Flag(b) => b.to_string(),
        })
    };
    assert_eq!(
        level("feature.customers", "1").as_deref(),
        Some("View (Names Only)")
    );
    assert_eq!(
        level("feature.customers", "3").as_deref(),
        Some("Read and Modify")
    );
    assert_eq!(level("feature.customers", "4"), None, "not in Ux's table");
    assert_eq!(
        level("feature.tickets", "2").as_deref(),
        Some("Read and Modify")
    );
    assert_eq!(level("feature.tickets", "3"), None);
    assert_eq!(
        level("feature.invoices", "3").as_deref(),
        Some("Read, Modify and Delete")
    );
    assert_eq!(
        level("feature.timesheets", "3").as_deref(),
        Some("Read Only")
    );
    assert_eq!(
        level("feature.timesheets", "1").as_deref(),
        Some("Read and Modify (Own)")
    );
    assert_eq!(
        level("ticket.action_editing", "3").as_deref(),
        Some("All Actions")
    );
    assert_eq!(
        level("ticket.action_editing", "2"),
        None,
        "Editing of Actions has no 2"
    );
    assert_eq!(level("ticket.can_delete", "1").as_deref(), Some("true"));
    assert_eq!(level("ticket.can_delete", "0").as_deref(), Some("false"));
    assert_eq!(
        level("ticket.can_delete", "true"),
        None,
        "ticket flags are 1/0"
    );
    assert_eq!(level("agent.admin", "true").as_deref(), Some("true"));
    assert_eq!(level("agent.admin", "1"), None, "SA is true/false");
    assert_eq!(
        level("general.edit_own_preferences", "1").as_deref(),
        Some("true")
    );
    assert_eq!(
        level("feature.chat", "1"),
        None,
        "LC's values are not decoded"
    );
    assert_eq!(
        level("feature.customers", " 2 ").as_deref(),
        Some("Read Only")
    );
    let (_, tickets) = c.permission("feature.tickets").unwrap_or_else(|| panic!());
    assert_eq!(
        c.claim_raw(tickets, ClaimValue::Level(2)).as_deref(),
        Some("2")
    );
    let (_, delete) = c
        .permission("ticket.can_delete")
        .unwrap_or_else(|| panic!());
    assert_eq!(
        c.claim_raw(delete, ClaimValue::Flag(true)).as_deref(),
        Some("1")
    );
}

#[test]
fn claim_types_are_codes_matched_case_sensitively_with_legacy_names() {
    let c = catalog();
    let key = |t: &str| c.by_claim(t).map(|(_, p)| p.key.as_str());
    assert_eq!(key("Tx"), Some("feature.tickets"));
    assert_eq!(key("Ticket_Level"), Some("feature.tickets"));
    assert_eq!(key("Can_Remove_Tickets"), Some("ticket.can_delete"));
    assert_eq!(key("LC"), Some("feature.chat"));
    assert_eq!(key("lc"), Some("ticket.can_change_type"));
    assert_eq!(key("Lx"), Some("feature.software_licensing"));
    assert_eq!(key("lx"), None);
    assert_eq!(key("tx"), None);
    assert_eq!(c.claim_case_twin("tx"), Some("Tx"));
    assert_eq!(key("SA"), Some("agent.admin"));
    assert_eq!(key("Administration"), Some("agent.admin"));
    assert_eq!(key("Fc"), Some("restrict.all_customers"));
    assert_eq!(key("Av"), Some("create.roles"));
    assert!(c.informational("A").is_some());
    assert!(c.informational("Technician").is_some());
}

#[test]
fn timesheet_levels_are_not_in_numeric_order_and_partly_comparable() {
    use std::cmp::Ordering::{Greater, Less};
    let c = catalog();
    let (_, hx) = c
        .permission("feature.timesheets")
        .unwrap_or_else(|| panic!());
    let at = |raw: &str| match c.claim_value(hx, raw) {
        Some(ClaimValue::Level(l)) => l,
        other => panic!("{raw}: {other:?}"),
    };
    // 3 = Read Only ranks below 4 = Read and Modify (All), above 0 = No Access ...
    assert_eq!(hx.compare(at("3"), at("4")), Some(Less));
    assert_eq!(hx.compare(at("3"), at("0")), Some(Greater));
    // ... and is not comparable with 1 = Read and Modify (Own), though 3 > 1 as numbers.
    assert_eq!(hx.compare(at("3"), at("1")), None);
    assert_eq!(hx.compare(at("2"), at("3")), None);
    assert_eq!(hx.compare(at("1"), at("2")), Some(Less));
    assert!(!hx.is_total());
    let (_, tx) = c.permission("feature.tickets").unwrap_or_else(|| panic!());
    assert!(tx.is_total());
}

#[test]
fn inconsistent_scales_are_refused() {
    let text = EMBEDDED.replace(
        "order: [\"none < read < read_modify\"]",
        "order: [\"none < read < read_modify < read\"]",
    );
    let err = Catalog::parse(&text).map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("cyclic"), "{err}");
    let text = EMBEDDED.replacen(
        "\"2\": read_modify }",
        "\"2\": read_modify, \"9\": all_actions }",
        1,
    );
    let err = Catalog::parse(&text).map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("not one of the levels"), "{err}");
}

#[test]
fn suggestions_find_near_misses() {
    let c = catalog();
    assert!(
        c.suggest("Custmers")
            .contains(&"feature.customers".to_owned())
    );
}

#[test]
fn invoices_levels_are_a_partial_order_the_words_decide() {
    use std::cmp::Ordering::{Greater, Less};
    let c = catalog();
    let Some((_, inv)) = c.permission("feature.invoices") else {
        panic!("invoices")
    };
    let at = |text: &str| {
        c.resolve_level(inv, text)
            .unwrap_or_else(|| panic!("{text} is an Invoices level"))
    };
    let (read, create, modify) = (
        at("Read Only"),
        at("Read and Create"),
        at("Read and Modify"),
    );
    let (rcm, rmd, rcmd) = (
        at("Read, Create and Modify"),
        at("Read, Modify and Delete"),
        at("Read, Create, Modify and Delete"),
    );
    assert_eq!(
        inv.compare(create, modify),
        None,
        "each allows what the other does not"
    );
    assert_eq!(inv.compare(rcm, create), Some(Greater));
    assert_eq!(inv.compare(rcm, modify), Some(Greater));
    assert_eq!(inv.compare(rcm, rmd), None, "create vs delete");
    assert_eq!(inv.compare(rmd, rcmd), Some(Less));
    assert_eq!(inv.compare(read, rcmd), Some(Less));
    assert!(!inv.is_total());
    // Only the decoders' four levels have numbers; the new ones are never guessed.
    for level in [create, rcm, rcmd] {
        assert_eq!(c.claim_raw(inv, ClaimValue::Level(level)), None);
    }
    assert_eq!(c.claim_value(inv, "4"), None);
    let reason = inv.undecoded_reason("4", c).unwrap_or_default();
    assert!(
        reason.contains("Read and Create") && reason.contains("does not guess"),
        "{reason}"
    );
}

#[test]
fn values_seen_but_undecoded_say_what_is_known() {
    let c = catalog();
    let Some((_, billing)) = c.permission("feature.billing_details") else {
        panic!("billing")
    };
    assert_eq!(c.claim_value(billing, "3"), None, "Jx 3 stays unread");
    let reason = billing.undecoded_reason("3", c).unwrap_or_default();
    assert!(reason.contains("bare number 3"), "{reason}");
    let Some((_, costs)) = c.permission("billing.view_item_costs") else {
        panic!("li")
    };
    assert_eq!(costs.kind, Kind::Level);
    assert_eq!(
        c.claim_value(costs, "1"),
        None,
        "li = 1 was Yes; which level is unknown"
    );
    assert!(costs.ui_only.is_some());
    let Some((_, iu)) = c.by_claim("Iu") else {
        panic!("Iu is mapped")
    };
    assert_eq!(iu.key, "security.impersonate_users");
    assert_eq!(c.claim_value(iu, "1"), Some(ClaimValue::Flag(true)));
    assert!(c.informational("PR").is_some_and(|i| i.undecoded));
    let Some((_, todo)) = c.permission("ticket.can_remove_todos") else {
        panic!("Td")
    };
    assert_eq!(
        todo.confidence,
        Confidence::Assumed,
        "the case of Td is inferred"
    );
    // The two UI rows the decoders' label ran together are two permissions.
    assert_ne!(
        c.resolve("Can use the Treat as Spam button"),
        c.resolve("Can edit action visibility for users")
    );
    assert!(
        c.resolve("Can use the Treat as Spam button and edit action visibility for users")
            .is_none()
    );
    for key in [
        "security.use_data_sources",
        "security.push_configuration",
        "security.webhooks_access_control",
        "security.custom_integrations_access_control",
        "security.entra_id_access_control",
        "create.mailboxes",
        "ticket.billing_time_adjustment",
        "billing.review_expenses",
        "ticket.can_edit_action_visibility",
    ] {
        let Some((_, p)) = c.permission(key) else {
            panic!("{key} is in the catalog")
        };
        assert!(
            matches!(p.source, Source::Unknown(_)),
            "{key}: no source gives its claim"
        );
    }
}
