//! Reading one of Halo's lists page by page without letting the server decide how much is read.
//!
//! Owns: the page size asked for ([`PAGE_SIZE`]) and holding the server to it, the most records
//! kept of one list (`--max-records`), believing `record_count` only as far as it is plausible,
//! finding ids listed more than once (and whether their copies differ), and the gap recorded when
//! a list is not read whole. Pure: it is fed pages and says whether to ask for the next one; it
//! sends no request and prints nothing.

use std::collections::HashMap;

use serde_json::Value;

use crate::snapshot::GapRecord;

/// The records asked for per page (`page_size`): the most Halo's swagger allows a list page.
pub const PAGE_SIZE: usize = 100;

/// The smallest page followed: Halo's own default page size. A server that pages smaller than
/// asked is followed at its own size down to this (so a list never takes more than
/// `--max-records` ÷ 50 requests); smaller pages are not followed.
pub const MIN_PAGE_SIZE: usize = 50;

/// The most records of one list read by default (`--max-records`, `instance.max_records`): ten
/// times the largest tenants in sight, so a real tenant never meets it.
pub const DEFAULT_MAX_RECORDS: usize = 50_000;

/// How many repeated ids a `duplicate` gap names.
const NAMED_DUPLICATES: usize = 5;

/// What a list answer says it holds in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Count {
    /// No `record_count`: the answer is the whole list (the server did not page it).
    Absent,
    /// `record_count: N`.
    Said(u64),
    /// `record_count` present but not a whole number of at least zero (as the server wrote it).
    Invalid(String),
}

/// A list being read: the records kept so far and why reading stopped, if it did.
#[derive(Debug)]
pub struct ListReader {
    /// `/api/Agent`: where the gaps are recorded.
    endpoint: String,
    max_records: usize,
    items: Vec<Value>,
    /// Each id kept → its position in `items`.
    index: HashMap<String, usize>,
    /// The `record_count` of the first page, once believed.
    total: Option<u64>,
    /// The server's page size: [`PAGE_SIZE`], or what its first page held when it pages smaller
    /// (at least [`MIN_PAGE_SIZE`]).
    page_size: usize,
    pages: usize,
    /// Ids listed again: (id, the members whose values differ between the copies).
    repeated: Vec<(String, Vec<String>)>,
    repeated_count: usize,
    stopped: Option<GapRecord>,
}

impl ListReader {
    /// A reader for the list at `endpoint` (`/api/Agent`) keeping at most `max_records`.
    #[must_use]
    pub fn new(endpoint: &str, max_records: usize) -> Self {
        Self {
            endpoint: endpoint.to_owned(),
            max_records: max_records.max(1),
            items: Vec::new(),
            index: HashMap::new(),
            total: None,
            page_size: PAGE_SIZE,
            pages: 0,
            repeated: Vec::new(),
            repeated_count: 0,
            stopped: None,
        }
    }

    /// Pages the list needs in all, once the first page has said how many records it holds.
    #[must_use]
    pub fn pages_needed(&self) -> usize {
        self.total.map_or(1, |total| {
            usize::try_from(total)
                .unwrap_or(usize::MAX)
                .div_ceil(self.page_size)
                .max(1)
        })
    }

    /// How many pages were taken so far.
    #[must_use]
    pub fn pages_read(&self) -> usize {
        self.pages
    }

    /// Takes the answer to page `self.pages + 1`; true when the next page should be asked for.
    /// `said` cleans server text (an id) for a message.
    pub fn page(
        &mut self,
        records: Vec<Value>,
        count: Count,
        said: &dyn Fn(&str) -> String,
    ) -> bool {
        self.pages += 1;
        let page = self.pages;
        if page == 1 {
            match count {
                Count::Invalid(text) => {
                    return self.stop(
                        "implausible-count",
                        format!(
                            "the list's `record_count` is `{}`, not a count of records; nothing of it was kept",
                            said(&text.chars().take(40).collect::<String>())
                        ),
                    );
                }
                Count::Said(n) if n > self.max_records as u64 => {
                    return self.stop(
                        "over-limit",
                        format!(
                            "the list says it holds {n} records, more than the {} read of one list at most (--max-records); nothing of it was kept",
                            self.max_records
                        ),
                    );
                }
                Count::Said(n) => self.total = Some(n),
                Count::Absent => {}
            }
        }
        let whole = page == 1 && self.total.is_none_or(|total| total == records.len() as u64);
        if records.len() > PAGE_SIZE && !whole {
            return self.stop(
                "page-too-large",
                format!(
                    "page {page} held {} records, more than the {PAGE_SIZE} asked for; it was not kept",
                    records.len()
                ),
            );
        }
        let on_page = records.len();
        let mut too_small = None;
        if page == 1
            && !whole
            && on_page < PAGE_SIZE
            && let Some(total) = self.total
            && total > on_page as u64
        {
            // The server pages smaller than asked: followed at its size if Halo could page so;
            // smaller pages end the list after this one.
            self.page_size = on_page.max(1);
            if on_page < MIN_PAGE_SIZE {
                too_small = Some(format!(
                    "page 1 held {on_page} of the {total} records the list says it holds: pages smaller than {MIN_PAGE_SIZE} (of the {PAGE_SIZE} asked for) are not followed"
                ));
            }
        }
        let before = self.items.len();
        for record in records {
            let id = id_of(&record);
            if let Some(at) = id.as_ref().and_then(|id| self.index.get(id)).copied() {
                let differ = self
                    .items
                    .get(at)
                    .map(|kept| differing(kept, &record))
                    .unwrap_or_default();
                self.repeated(said(id.as_deref().unwrap_or_default()), differ);
                continue;
            }
            if let Some(total) = self.total
                && self.items.len() as u64 >= total
            {
                return self.stop(
                    "count-exceeded",
                    format!(
                        "the list said it holds {total} records but page {page} brought more; the records past {total} were not kept"
                    ),
                );
            }
            if self.items.len() >= self.max_records {
                // The page is not kept: a list cut at the limit says so at a page's edge.
                self.items.truncate(before);
                self.index.retain(|_, at| *at < before);
                return self.stop(
                    "over-limit",
                    format!(
                        "the list holds more than the {} records read of one list at most (--max-records); reading stopped at page {page}, which was not kept",
                        self.max_records
                    ),
                );
            }
            if let Some(id) = id {
                self.index.insert(id, self.items.len());
            }
            self.items.push(record);
        }
        let brought = self.items.len() - before;
        if let Some(detail) = too_small {
            return self.stop("partial", detail);
        }
        let Some(total) = self.total else {
            // No count: the answer is the list (the server did not page it).
            return false;
        };
        if self.items.len() as u64 == total || whole {
            return false;
        }
        if brought == 0 {
            return self.stop(
                "partial",
                format!(
                    "page {page} brought no record not already read; {} of the {total} the list said it holds were read",
                    self.items.len()
                ),
            );
        }
        // A page shorter than asked is the server's last; never more pages than the count needs.
        on_page >= self.page_size && page < self.pages_needed()
    }

    /// Notes an id listed again; the few named prefer copies that differ.
    fn repeated(&mut self, id: String, differ: Vec<String>) {
        self.repeated_count += 1;
        if self.repeated.len() < NAMED_DUPLICATES {
            self.repeated.push((id, differ));
        } else if !differ.is_empty()
            && let Some(same) = self.repeated.iter_mut().find(|(_, d)| d.is_empty())
        {
            *same = (id, differ);
        }
    }

    fn stop(&mut self, reason: &str, detail: String) -> bool {
        self.stopped = Some(GapRecord {
            endpoint: self.endpoint.clone(),
            status: None,
            reason: reason.to_owned(),
            detail: Some(detail),
            object_id: None,
        });
        false
    }

    /// The records kept and the gaps of the list: why reading stopped, fewer records than the
    /// list said, ids listed more than once.
    #[must_use]
    pub fn finish(self) -> (Vec<Value>, Vec<GapRecord>) {
        let mut gaps = Vec::new();
        let read = self.items.len();
        match self.stopped {
            Some(gap) => gaps.push(gap),
            None => {
                if let Some(total) = self.total.filter(|t| (read as u64) < *t) {
                    gaps.push(GapRecord {
                        endpoint: self.endpoint.clone(),
                        status: None,
                        reason: "partial".to_owned(),
                        detail: Some(format!(
                            "the list said it holds {total} but {read} were delivered in {} pages; the missing ones are not audited",
                            self.pages
                        )),
                        object_id: None,
                    });
                }
            }
        }
        if self.repeated_count > 0 {
            let differing: Vec<String> = self
                .repeated
                .iter()
                .filter(|(_, d)| !d.is_empty())
                .map(|(id, d)| format!("{id} (differing in {})", d.join(", ")))
                .collect();
            let named: Vec<String> = self.repeated.iter().map(|(id, _)| id.clone()).collect();
            let mut detail = format!(
                "{} record{} listed more than once (ids {}{})",
                self.repeated_count,
                if self.repeated_count == 1 {
                    " was"
                } else {
                    "s were"
                },
                named.join(", "),
                if self.repeated_count > named.len() {
                    ", ..."
                } else {
                    ""
                }
            );
            if differing.is_empty() {
                detail.push_str(
                    "; the copies are identical, but the list changed while it was read or the server repeats itself, so records may be missing",
                );
            } else {
                detail.push_str(&format!(
                    "; copies that differ: {}: which one is Halo's is unknown, so the list is not trusted",
                    differing.join("; ")
                ));
            }
            gaps.push(GapRecord {
                endpoint: self.endpoint,
                status: None,
                reason: "duplicate".to_owned(),
                detail: Some(detail),
                object_id: self.repeated.first().map(|(id, _)| id.clone()),
            });
        }
        (self.items, gaps)
    }
}

/// An object's `id` as text (agents and teams have integers, roles and applications GUIDs).
#[must_use]
pub fn id_of(item: &Value) -> Option<String> {
    match item.get("id")? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The top-level members whose values differ between two copies of a record (at most five).
fn differing(a: &Value, b: &Value) -> Vec<String> {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            let mut names: Vec<String> = a
                .iter()
                .filter(|(k, v)| b.get(k.as_str()) != Some(v))
                .map(|(k, _)| k.clone())
                .chain(b.keys().filter(|k| !a.contains_key(k.as_str())).cloned())
                .collect();
            names.sort();
            names.dedup();
            names.truncate(5);
            names
                .into_iter()
                .map(|n| {
                    format!(
                        "`{}`",
                        crate::text::shown(&n.chars().take(40).collect::<String>())
                    )
                })
                .collect()
        }
        _ if a == b => Vec::new(),
        _ => vec!["the whole record".to_owned()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn said(text: &str) -> String {
        text.to_owned()
    }

    fn page(ids: std::ops::Range<u64>) -> Vec<Value> {
        ids.map(|id| json!({"id": id, "name": format!("agent {id}")}))
            .collect()
    }

    /// Feeds pages until the reader stops asking; how many it took.
    fn read(reader: &mut ListReader, pages: Vec<(Vec<Value>, Count)>) -> usize {
        let mut taken = 0;
        for (records, count) in pages {
            taken += 1;
            if !reader.page(records, count, &said) {
                break;
            }
        }
        taken
    }

    fn reasons(gaps: &[GapRecord]) -> Vec<&str> {
        gaps.iter().map(|g| g.reason.as_str()).collect()
    }

    #[test]
    fn an_honest_paged_list_is_read_whole_in_the_pages_its_count_needs() {
        let mut r = ListReader::new("/api/Agent", 1000);
        let pages = vec![
            (page(0..100), Count::Said(250)),
            (page(100..200), Count::Said(250)),
            (page(200..250), Count::Said(250)),
            (page(250..300), Count::Said(250)),
        ];
        assert_eq!(read(&mut r, pages), 3);
        let (items, gaps) = r.finish();
        assert_eq!(items.len(), 250);
        assert!(gaps.is_empty(), "{gaps:?}");
    }

    #[test]
    fn a_bare_array_or_a_whole_envelope_is_the_list() {
        let mut r = ListReader::new("/api/Roles", 1000);
        assert!(!r.page(page(0..300), Count::Absent, &said));
        assert_eq!(r.finish().0.len(), 300);
        let mut r = ListReader::new("/api/Roles", 1000);
        assert!(!r.page(page(0..300), Count::Said(300), &said));
        let (items, gaps) = r.finish();
        assert_eq!((items.len(), gaps.len()), (300, 0));
    }

    #[test]
    fn a_count_of_a_billion_is_not_believed_and_nothing_is_asked_after_it() {
        let mut r = ListReader::new("/api/Agent", 50_000);
        assert!(!r.page(page(0..20_000), Count::Said(1_000_000_000), &said));
        let (items, gaps) = r.finish();
        assert!(items.is_empty());
        assert_eq!(reasons(&gaps), ["over-limit"]);
        let detail = gaps[0].detail.as_deref().unwrap();
        assert!(
            detail.contains("1000000000") && detail.contains("--max-records"),
            "{detail}"
        );
        let mut r = ListReader::new("/api/Agent", 50_000);
        assert!(!r.page(page(0..1), Count::Invalid("-1".into()), &said));
        assert_eq!(reasons(&r.finish().1), ["implausible-count"]);
    }

    #[test]
    fn a_page_larger_than_asked_stops_the_list_and_is_not_kept() {
        let mut r = ListReader::new("/api/Agent", 50_000);
        let pages = vec![
            (page(0..100), Count::Said(1000)),
            (page(100..600), Count::Said(1000)),
        ];
        assert_eq!(read(&mut r, pages), 2);
        let (items, gaps) = r.finish();
        assert_eq!(items.len(), 100);
        assert_eq!(reasons(&gaps), ["page-too-large"]);
        // A first page larger than asked that is not the whole list is refused too.
        let mut r = ListReader::new("/api/Agent", 50_000);
        assert!(!r.page(page(0..500), Count::Said(1000), &said));
        assert_eq!(reasons(&r.finish().1), ["page-too-large"]);
    }

    #[test]
    fn a_server_paging_smaller_than_asked_is_followed_at_its_size_down_to_fifty() {
        let mut r = ListReader::new("/api/Agent", 50_000);
        let pages = (0..5)
            .map(|p| (page(p * 50..(p * 50 + 50).min(220)), Count::Said(220)))
            .collect();
        assert_eq!(read(&mut r, pages), 5);
        let (items, gaps) = r.finish();
        assert_eq!(items.len(), 220);
        assert!(gaps.is_empty(), "{gaps:?}");
        // Pages of five: not followed (12,013 requests once).
        let mut r = ListReader::new("/api/Agent", 50_000);
        assert!(!r.page(page(0..5), Count::Said(40_000), &said));
        let (items, gaps) = r.finish();
        assert_eq!(items.len(), 5);
        assert_eq!(reasons(&gaps), ["partial"]);
        assert!(
            gaps[0]
                .detail
                .as_deref()
                .unwrap()
                .contains("smaller than 50")
        );
        // A small whole list is no page at all.
        let mut r = ListReader::new("/api/Agent", 50_000);
        assert!(!r.page(page(0..5), Count::Said(5), &said));
        assert_eq!(r.finish().0.len(), 5);
    }

    #[test]
    fn more_records_than_the_count_said_are_cut_at_the_count() {
        let mut r = ListReader::new("/api/Agent", 50_000);
        let pages = vec![
            (page(0..100), Count::Said(150)),
            (page(100..200), Count::Said(150)),
        ];
        assert_eq!(read(&mut r, pages), 2);
        let (items, gaps) = r.finish();
        assert_eq!(items.len(), 150);
        assert_eq!(reasons(&gaps), ["count-exceeded"]);
    }

    #[test]
    fn a_page_bringing_nothing_new_ends_the_list_as_partial() {
        let mut r = ListReader::new("/api/Team", 50_000);
        let pages = vec![
            (page(0..100), Count::Said(5000)),
            (page(0..100), Count::Said(5000)),
            (page(200..300), Count::Said(5000)),
        ];
        assert_eq!(read(&mut r, pages), 2);
        let (items, gaps) = r.finish();
        assert_eq!(items.len(), 100);
        assert_eq!(reasons(&gaps), ["partial", "duplicate"]);
        assert!(
            gaps[0]
                .detail
                .as_deref()
                .unwrap()
                .contains("page 2 brought no record")
        );
        // A short page is the server's last: the list is partial, and no further page is asked.
        let mut r = ListReader::new("/api/Team", 50_000);
        let pages = vec![
            (page(0..100), Count::Said(5000)),
            (page(100..130), Count::Said(5000)),
            (page(130..200), Count::Said(5000)),
        ];
        assert_eq!(read(&mut r, pages), 2);
        let (items, gaps) = r.finish();
        assert_eq!(items.len(), 130);
        assert_eq!(reasons(&gaps), ["partial"]);
    }

    #[test]
    fn the_most_records_of_one_list_is_held_whatever_the_server_says() {
        // A server that pages honestly but holds more than the limit: cut before the page that
        // would pass it, however the count is stated.
        let mut r = ListReader::new("/api/Agent", 250);
        assert!(!r.page(page(0..300), Count::Absent, &said));
        let (items, gaps) = r.finish();
        assert!(items.is_empty());
        assert_eq!(reasons(&gaps), ["over-limit"]);
        let mut r = ListReader::new("/api/Agent", 250);
        let pages = (0..3)
            .map(|p| (page(p * 100..p * 100 + 100), Count::Said(250)))
            .collect();
        assert_eq!(read(&mut r, pages), 3);
        // 250 said, 250 allowed: the third page brings 50 too many and is cut at the count.
        let (items, gaps) = r.finish();
        assert_eq!(items.len(), 250);
        assert_eq!(reasons(&gaps), ["count-exceeded"]);
        // Pages without ids count too.
        let mut r = ListReader::new("/api/Agent", 10);
        let anonymous: Vec<Value> = (0..11).map(|i| json!({"name": i})).collect();
        assert!(!r.page(anonymous, Count::Absent, &said));
        assert_eq!(reasons(&r.finish().1), ["over-limit"]);
    }

    #[test]
    fn a_repeated_id_is_a_gap_that_names_the_members_its_copies_differ_in() {
        let mut r = ListReader::new("/api/Application", 1000);
        let app = json!({"id": "a1", "name": "CIPP", "scopes": [{"name": "read:tickets"}]});
        let twin =
            json!({"id": "a1", "name": "CIPP", "scopes": [{"name": "all"}, {"name": "admin"}]});
        assert!(!r.page(
            vec![app.clone(), json!({"id": "b"}), twin],
            Count::Absent,
            &said
        ));
        let (items, gaps) = r.finish();
        assert_eq!(items.len(), 2, "one record per id");
        assert_eq!(reasons(&gaps), ["duplicate"]);
        assert_eq!(gaps[0].object_id.as_deref(), Some("a1"));
        let detail = gaps[0].detail.as_deref().unwrap();
        assert!(detail.contains("a1 (differing in `scopes`)"), "{detail}");
        assert!(detail.contains("not trusted"), "{detail}");
        // Identical copies are still a gap: the list changed while it was read.
        let mut r = ListReader::new("/api/Application", 1000);
        assert!(!r.page(vec![app.clone(), app], Count::Absent, &said));
        let (items, gaps) = r.finish();
        assert_eq!(items.len(), 1);
        assert!(gaps[0].detail.as_deref().unwrap().contains("identical"));
    }

    #[test]
    fn many_repeats_name_a_few_and_prefer_the_copies_that_differ() {
        let mut r = ListReader::new("/api/Agent", 1000);
        let mut records = page(0..50);
        records.extend(page(0..49));
        records.push(json!({"id": 49, "name": "renamed"}));
        assert!(!r.page(records, Count::Absent, &said));
        let (_, gaps) = r.finish();
        let detail = gaps[0].detail.as_deref().unwrap();
        assert!(
            detail.starts_with("50 records were listed more than once"),
            "{detail}"
        );
        assert!(detail.contains("49 (differing in `name`)"), "{detail}");
        assert!(detail.contains(", ...)"), "{detail}");
    }
}
