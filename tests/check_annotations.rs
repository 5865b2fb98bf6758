//! Issue 13, point 3: annotation checks catch planted lies with a minimised
//! counterexample, and the annotations of the examples' components hold.

#[path = "../examples/support/ad_network_job.rs"]
#[allow(dead_code)]
mod ad;
#[path = "../examples/support/sessionizer_job.rs"]
#[allow(dead_code)]
mod sessionizer_job;
#[path = "../examples/support/wordcount_job.rs"]
#[allow(dead_code)]
mod wordcount;

use std::collections::BTreeMap;

use blazes::check::{PathCheck, Verdict};
use blazes::{Dataflow, Emit, Handler, Path, PathKind, Record, Tuple, UnknownInput, attrs};
use blazes_examples_lib::{Event, PerUserStats, Session, UserStats};
use proptest::prelude::*;

// ---- Planted lie 1: declared CR, keeps the first value seen per key. ----

/// Emits the first value it sees for each key and drops the later ones.
#[derive(Default)]
struct FirstSeen {
    seen: BTreeMap<i64, i64>,
}

impl Handler for FirstSeen {
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        if input != "values" {
            return Err(UnknownInput::new(input, tuple));
        }
        let key = tuple.int("key").unwrap_or_default();
        if let std::collections::btree_map::Entry::Vacant(v) = self.seen.entry(key) {
            v.insert(tuple.int("value").unwrap_or_default());
            out.emit("firsts", tuple);
        }
        Ok(())
    }
}

fn first_seen_claim() -> PathCheck<FirstSeen> {
    PathCheck::new(
        FirstSeen::default,
        "values",
        "firsts",
        PathKind::CR,
        attrs::<[&str; 0], &str>([]),
    )
}

fn kv(key: i64, value: i64) -> Tuple {
    Tuple::new().with("key", key).with("value", value)
}

#[test]
fn a_cr_path_that_keeps_the_first_value_is_caught_with_two_inputs() {
    let inputs = vec![kv(1, 10), kv(2, 20), kv(1, 11), kv(3, 30)];
    let verdict = first_seen_claim().check(&inputs).expect("runs");
    let lie = verdict.lie().expect("a lie");
    // Minimised to the two values of key 1, in both orders.
    assert_eq!(lie.inputs, vec![kv(1, 10), kv(1, 11)]);
    assert_eq!(lie.rearranged, vec![kv(1, 11), kv(1, 10)]);
    assert_eq!(
        lie.to_string(),
        "path `values -> firsts` is declared CR, but inputs [{key: 1, value: 10}, \
         {key: 1, value: 11}] and [{key: 1, value: 11}, {key: 1, value: 10}] give \
         {{key: 1, value: 10}} and {{key: 1, value: 11}}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Generated inputs: the lie shows exactly when a key has two values,
    /// and the counterexample is always those two values swapped.
    #[test]
    fn generated_inputs_catch_first_seen_whenever_a_key_has_two_values(
        pairs in prop::collection::vec((0..3i64, 0..3i64), 1..6)
    ) {
        let inputs: Vec<Tuple> = pairs.iter().map(|(k, v)| kv(*k, *v)).collect();
        let mut values: BTreeMap<i64, std::collections::BTreeSet<i64>> = BTreeMap::new();
        for (k, v) in &pairs {
            values.entry(*k).or_default().insert(*v);
        }
        let conflicting = values.values().any(|v| v.len() > 1);
        let verdict = first_seen_claim().check(&inputs).expect("runs");
        prop_assert_eq!(verdict.lie().is_some(), conflicting);
        if let Some(lie) = verdict.lie() {
            prop_assert_eq!(lie.inputs.len(), 2);
            prop_assert_eq!(lie.inputs[0].record.int("key"), lie.inputs[1].record.int("key"));
            prop_assert_eq!(&lie.rearranged, &vec![lie.inputs[1].clone(), lie.inputs[0].clone()]);
            prop_assert_ne!(&lie.left.outputs, &lie.right.outputs);
        }
    }
}

// ---- Planted lie 2: declared OW[word, batch], but counts across batches. ----

/// Emits a running count per word, stamped with the batch of the word that
/// moved it: the count mixes the batches.
#[derive(Default)]
struct MixedCount {
    counts: BTreeMap<String, i64>,
}

impl Handler for MixedCount {
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        if input != "words" {
            return Err(UnknownInput::new(input, tuple));
        }
        let word = tuple.str("word").unwrap_or_default().to_string();
        let count = self.counts.entry(word.clone()).or_default();
        *count += 1;
        out.emit(
            "counts",
            Tuple::new()
                .with("word", word.as_str())
                .with("batch", tuple.int("batch").unwrap_or_default())
                .with("count", *count),
        );
        Ok(())
    }
}

fn word(w: &str, batch: i64) -> Tuple {
    Tuple::new().with("word", w).with("batch", batch)
}

fn count(w: &str, batch: i64, n: i64) -> Tuple {
    word(w, batch).with("count", n)
}

#[test]
fn an_ow_path_that_mixes_batches_is_caught_with_one_word_in_two_batches() {
    let claim = PathCheck::new(
        MixedCount::default,
        "words",
        "counts",
        PathKind::OW,
        attrs(["word", "batch"]),
    );
    let inputs = vec![
        word("storm", 1),
        word("seal", 1),
        word("storm", 1),
        word("storm", 2),
        word("seal", 2),
    ];
    let lie = claim.check(&inputs).expect("runs");
    let lie = lie.lie().expect("a lie");
    assert_eq!(lie.declared, "OW[batch,word]");
    assert_eq!(lie.inputs.len(), 2, "{lie}");
    let (a, b) = (&lie.inputs[0].record, &lie.inputs[1].record);
    assert_eq!(a.str("word"), b.str("word"));
    assert_ne!(a.int("batch"), b.int("batch"));
    assert_eq!(lie.rearranged, vec![b.clone(), a.clone()]);
    let w = a.str("word").unwrap_or_default();
    let (ba, bb) = (a.int("batch").unwrap_or(0), b.int("batch").unwrap_or(0));
    assert_eq!(
        lie.left.outputs,
        [count(w, ba, 1), count(w, bb, 2)].into_iter().collect()
    );
    assert_eq!(
        lie.right.outputs,
        [count(w, bb, 1), count(w, ba, 2)].into_iter().collect()
    );
}

#[test]
fn interleaving_one_partition_alone_never_shows_the_mixed_count() {
    // All inputs in one gate partition: no other interleaving exists.
    let claim = PathCheck::new(
        MixedCount::default,
        "words",
        "counts",
        PathKind::OW,
        attrs(["word", "batch"]),
    );
    let verdict = claim
        .check(&[word("storm", 1), word("storm", 1)])
        .expect("runs");
    assert_eq!(verdict, Verdict::Holds { arrangements: 0 });
}

// ---- Planted lie 3: declared CW, a last-writer-wins map. ----

/// Keeps the last price written for each item and acknowledges each write.
#[derive(Default)]
struct LatestPrice {
    prices: BTreeMap<String, i64>,
}

impl Handler for LatestPrice {
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        if input != "prices" {
            return Err(UnknownInput::new(input, tuple));
        }
        let item = tuple.str("item").unwrap_or_default().to_string();
        self.prices
            .insert(item.clone(), tuple.int("price").unwrap_or_default());
        out.emit("acks", Tuple::new().with("item", item.as_str()));
        Ok(())
    }
}

fn price(item: &str, p: i64) -> Tuple {
    Tuple::new().with("item", item).with("price", p)
}

#[test]
fn a_cw_last_writer_wins_map_is_caught_by_its_final_state() {
    let claim = PathCheck::new(
        LatestPrice::default,
        "prices",
        "acks",
        PathKind::CW,
        attrs::<[&str; 0], &str>([]),
    )
    .state(|h: &LatestPrice| format!("{:?}", h.prices));
    let inputs = vec![price("pen", 2), price("ink", 5), price("pen", 3)];
    let verdict = claim.check(&inputs).expect("runs");
    let lie = verdict.lie().expect("a lie");
    assert_eq!(lie.inputs, vec![price("pen", 2), price("pen", 3)]);
    assert_eq!(lie.rearranged, vec![price("pen", 3), price("pen", 2)]);
    assert!(lie.state_differs_only());
    assert_eq!(
        lie.to_string(),
        "path `prices -> acks` is declared CW, but inputs [{item: \"pen\", price: 2}, \
         {item: \"pen\", price: 3}] and [{item: \"pen\", price: 3}, {item: \"pen\", price: 2}] \
         end in states {\"pen\": 3} and {\"pen\": 2}"
    );
    // Without the state snapshot the acks agree: the lie needs the state.
    let blind = PathCheck::new(
        LatestPrice::default,
        "prices",
        "acks",
        PathKind::CW,
        attrs::<[&str; 0], &str>([]),
    );
    assert!(blind.check(&inputs).expect("runs").lie().is_none());
}

// ---- The examples' own annotations hold. ----

/// The path `from -> to` of component `name` as `dataflow` declares it.
fn declared(dataflow: &Dataflow, name: &str, from: &str, to: &str) -> Path {
    dataflow
        .find_component(name)
        .and_then(|c| c.paths.iter().find(|p| p.from == from && p.to == to))
        .cloned()
        .unwrap_or_else(|| panic!("{name} declares {from} -> {to}"))
}

fn assert_holds(verdict: Verdict) -> usize {
    match verdict {
        Verdict::Holds { arrangements } => {
            assert!(arrangements > 0, "nothing was rearranged");
            arrangements
        }
        Verdict::Lie(lie) => panic!("{lie}"),
    }
}

#[test]
fn the_word_count_components_keep_their_annotations() {
    use wordcount::parts::{Commit, Count, Splitter};
    use wordcount::{Tweet, Word, WordCount};
    let flow = wordcount::sealed::dataflow();
    let tweets: Vec<Tuple> = [(0, "storm seal"), (0, "seal"), (1, "storm"), (1, "order")]
        .iter()
        .map(|(batch, text)| {
            Tweet {
                batch: *batch,
                text: text.to_string(),
            }
            .to_tuple()
        })
        .collect();
    let path = declared(&flow, "Splitter", "tweets", "words");
    assert_eq!(path.annotation.kind, PathKind::CR);
    assert_holds(
        PathCheck::declared(Splitter::default, &path)
            .check(&tweets)
            .expect("runs"),
    );

    let words: Vec<Tuple> = [
        ("storm", 0),
        ("seal", 0),
        ("storm", 0),
        ("storm", 1),
        ("seal", 1),
    ]
    .iter()
    .map(|(w, b)| {
        Word {
            word: w.to_string(),
            batch: *b,
        }
        .to_tuple()
    })
    .collect();
    let path = declared(&flow, "Count", "words", "counts");
    assert_eq!(path.annotation.kind, PathKind::OW);
    // The stream is sealed on batch, coarser than the gate.
    assert_holds(
        PathCheck::declared(Count::default, &path)
            .seal_on(attrs(["batch"]))
            .check(&words)
            .expect("runs"),
    );

    let counts: Vec<Tuple> = [(0, "storm", 2), (0, "seal", 1), (1, "storm", 1)]
        .iter()
        .map(|(b, w, c)| {
            WordCount {
                batch: *b,
                word: w.to_string(),
                count: *c,
            }
            .to_tuple()
        })
        .collect();
    let path = declared(&flow, "Commit", "counts", "db");
    assert_holds(
        PathCheck::declared(Commit::default, &path)
            .debug_state()
            .check(&counts)
            .expect("runs"),
    );
}

#[test]
fn the_sessionizer_components_keep_their_annotations() {
    use sessionizer_job::dashboard::Dashboard;
    use sessionizer_job::sessions::Sessionize;
    let flow = sessionizer_job::sessionizer::dataflow();
    let events: Vec<Tuple> = [(1, "ann", 2), (2, "ann", 2), (1, "ann", 2), (3, "bob", 1)]
        .iter()
        .map(|(session, user, n)| {
            Event {
                session: *session,
                user: user.to_string(),
                user_sessions: *n,
                page: "/".into(),
            }
            .to_tuple()
        })
        .collect();
    let path = declared(&flow, "Sessionize", "events", "sessions");
    assert_holds(
        PathCheck::declared(Sessionize::default, &path)
            .check(&events)
            .expect("runs"),
    );

    let sessions: Vec<Tuple> = [(1, "ann", 2), (2, "ann", 1), (3, "bob", 4)]
        .iter()
        .map(|(session, user, clicks)| {
            Session {
                session: *session,
                user: user.to_string(),
                clicks: *clicks,
            }
            .to_tuple()
        })
        .collect();
    let path = declared(&flow, "PerUserStats", "sessions", "stats");
    assert_holds(
        PathCheck::declared(PerUserStats::default, &path)
            .check(&sessions)
            .expect("runs"),
    );

    let stats: Vec<Tuple> = [("ann", 2, 3), ("bob", 1, 4)]
        .iter()
        .map(|(user, sessions, clicks)| {
            UserStats {
                user: user.to_string(),
                sessions: *sessions,
                clicks: *clicks,
            }
            .to_tuple()
        })
        .collect();
    let path = declared(&flow, "Dashboard", "stats", "view");
    assert_holds(
        PathCheck::declared(Dashboard::default, &path)
            .debug_state()
            .check(&stats)
            .expect("runs"),
    );
}

/// A click of the ad network on ad `id` in `campaign` (its window).
fn ad_click(campaign: i64, id: i64) -> ad::Click {
    ad::Click {
        id,
        campaign,
        window: campaign,
        server: 0,
    }
}

#[test]
fn the_ad_network_components_keep_their_annotations() {
    use ad::poor_parts::{Cache, Report};
    let flow = ad::poor::dataflow();
    let click = |campaign: i64, id: i64| ad_click(campaign, id).to_tuple();
    let clicks = vec![click(0, 1), click(0, 2), click(1, 1), click(0, 1)];
    let requests: Vec<Tuple> = (1..=2)
        .map(|id| {
            ad::Request {
                request: id,
                id,
                campaign: 0,
                window: 0,
            }
            .to_tuple()
        })
        .collect();
    // Report counts clicks: two equal clicks are two events, each delivered
    // once by the runtime, so the check permutes without duplicating; the
    // state is read both as printed and through requests.
    let path = declared(&flow, "Report", "click", "response");
    assert_eq!(path.annotation.kind, PathKind::CW);
    assert_holds(
        PathCheck::declared(Report::default, &path)
            .debug_state()
            .probe("request", requests.clone())
            .without_duplicates()
            .check(&clicks)
            .expect("runs"),
    );
    let path = declared(&flow, "Report", "request", "response");
    assert_eq!(path.annotation.kind, PathKind::OR);
    assert_holds(
        PathCheck::declared(Report::default, &path)
            .check(&requests)
            .expect("runs"),
    );
    for (from, to) in [("request", "response"), ("request", "request")] {
        let path = declared(&flow, "Cache", from, to);
        assert_holds(
            PathCheck::declared(Cache::default, &path)
                .check(&requests)
                .expect("runs"),
        );
    }
    let answers: Vec<Tuple> = (1..=2)
        .map(|id| {
            ad::PoorAnswer {
                request: id,
                id,
                campaign: 0,
                window: 0,
                poor: 1,
            }
            .to_tuple()
        })
        .collect();
    let path = declared(&flow, "Cache", "response", "response");
    assert_holds(
        PathCheck::declared(Cache::default, &path)
            .debug_state()
            .check(&answers)
            .expect("runs"),
    );
}

#[test]
fn the_check_of_report_catches_duplicated_clicks_when_asked_to() {
    // The same Report, checked with duplicates: counting is not idempotent,
    // which the check reports (the runtime's deduplication is what makes
    // the CW claim safe).
    use ad::poor_parts::Report;
    let flow = ad::poor::dataflow();
    let click = ad_click(0, 1).to_tuple();
    let path = declared(&flow, "Report", "click", "response");
    let verdict = PathCheck::declared(Report::default, &path)
        .debug_state()
        .check(std::slice::from_ref(&click))
        .expect("runs");
    let lie = verdict.lie().expect("duplicates change the count");
    assert_eq!(lie.inputs, vec![click.clone()]);
    assert_eq!(lie.rearranged, vec![click.clone(), click]);
}

// ---- Reads of state another path writes (`PathCheck::beside`). ----

/// Attributes clicks to the cost of their ad's impressions, which another
/// input writes; `per_campaign` answers with the campaign's total instead,
/// a read outside the gate `[ad]`.
#[derive(Default)]
struct Attribute {
    cost: BTreeMap<(i64, i64), i64>,
    per_campaign: bool,
}

impl Handler for Attribute {
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        let (ad, campaign) = (
            tuple.int("ad").unwrap_or_default(),
            tuple.int("campaign").unwrap_or_default(),
        );
        match input {
            "impressions" => {
                *self.cost.entry((campaign, ad)).or_default() += tuple.int("cost").unwrap_or(0);
            }
            "clicks" => {
                let cost: i64 = if self.per_campaign {
                    self.cost
                        .range((campaign, i64::MIN)..=(campaign, i64::MAX))
                        .map(|(_, c)| c)
                        .sum()
                } else {
                    self.cost.get(&(campaign, ad)).copied().unwrap_or(0)
                };
                out.emit("attributed", tuple.with("cost", cost));
            }
            _ => return Err(UnknownInput::new(input, tuple)),
        }
        Ok(())
    }
}

fn impression(ad: i64, cost: i64) -> Tuple {
    Tuple::new()
        .with("ad", ad)
        .with("campaign", 0)
        .with("cost", cost)
}

fn click(ad: i64, user: i64) -> Tuple {
    Tuple::new()
        .with("ad", ad)
        .with("campaign", 0)
        .with("user", user)
}

#[test]
fn a_lookup_declared_cr_is_caught_by_the_writes_fed_beside_it() {
    let clicks = vec![click(1, 7), click(2, 8)];
    let writes = vec![impression(1, 5), impression(2, 3), impression(1, 4)];
    let claim = |kind| {
        PathCheck::new(
            Attribute::default,
            "clicks",
            "attributed",
            kind,
            attrs(["ad"]),
        )
        .beside("impressions", writes.clone())
    };
    // Alone, the clicks commute: nothing shows the read.
    let alone = PathCheck::new(
        Attribute::default,
        "clicks",
        "attributed",
        PathKind::CR,
        attrs::<[&str; 0], &str>([]),
    );
    assert!(alone.check(&clicks).expect("runs").lie().is_none());
    // Beside the writes, a click before and after its ad's impression
    // answers differently: the path is not CR.
    let verdict = claim(PathKind::CR).check(&clicks).expect("runs");
    let lie = verdict.lie().expect("a lie");
    assert_eq!(
        lie.inputs.len(),
        2,
        "minimised to one write and one click: {lie}"
    );
    assert_eq!(lie.inputs[0].input, "impressions");
    assert_eq!(lie.inputs[1].input, "clicks");
    assert_eq!(
        lie.rearranged,
        vec![lie.inputs[1].clone(), lie.inputs[0].clone()]
    );
    let text = lie.to_string();
    println!("{text}");
    assert_eq!(lie.moved_writes(), ["impressions"]);
    assert!(
        text.ends_with(
            "; the path reads the state `impressions` writes: declare it `OR[..]` (or `OW[..]` \
             if it also writes), gated on what its reads are grouped by"
        ),
        "{text}"
    );
    assert!(
        text.starts_with("path `clicks -> attributed` is declared CR, but inputs [impressions: {"),
        "{text}"
    );
    // Declared OR[ad], it holds: each ad's writes stay before its reads,
    // and the read looks at its own ad only.
    let verdict = claim(PathKind::OR).check(&clicks).expect("runs");
    assert!(verdict.lie().is_none(), "{verdict}");
}

#[test]
fn a_read_of_another_partitions_writes_breaks_its_gate() {
    let clicks = vec![click(1, 7), click(2, 8)];
    let writes = vec![impression(1, 5), impression(2, 3)];
    let make = || Attribute {
        per_campaign: true,
        ..Attribute::default()
    };
    let verdict = PathCheck::new(make, "clicks", "attributed", PathKind::OR, attrs(["ad"]))
        .beside("impressions", writes)
        .check(&clicks)
        .expect("runs");
    let lie = verdict
        .lie()
        .expect("the campaign total reads outside the gate [ad]");
    assert_eq!(lie.declared, "OR[ad]");
    // A click of one ad answers differently before and after a write of
    // the other ad.
    let ads: std::collections::BTreeSet<i64> = lie
        .inputs
        .iter()
        .filter_map(|fed| fed.record.int("ad"))
        .collect();
    assert_eq!(ads.len(), 2, "{lie}");
    assert_ne!(lie.left.outputs, lie.right.outputs);
    assert!(lie.to_string().contains("outside its gate"), "{lie}");
}

/// A ledger: transactions (`OW[account]`) charge overdrawn accounts a fee
/// at the rate that `rates` (declared `CW`: a max) has set so far. The
/// spec's state edges reach only `OR` outputs, so nothing in the analysis
/// orders the rates with the transactions: the check shows the
/// transactions' path observing the rates' writes, and says which
/// annotation makes blazes order them.
#[derive(Default)]
struct Ledger {
    balances: BTreeMap<i64, i64>,
    fee: i64,
}

impl Handler for Ledger {
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        match input {
            "rates" => self.fee = self.fee.max(tuple.int("fee").unwrap_or(0)),
            "txns" => {
                let account = tuple.int("account").unwrap_or_default();
                let balance = self.balances.entry(account).or_insert(0);
                *balance += tuple.int("amount").unwrap_or(0);
                if *balance < 0 {
                    *balance -= self.fee;
                }
                let balance = *balance;
                out.emit("balances", tuple.with("balance", balance));
            }
            _ => return Err(UnknownInput::new(input, tuple)),
        }
        Ok(())
    }
}

#[test]
fn an_order_sensitive_path_observing_another_inputs_writes_is_told_to_order_them() {
    let txn =
        |account: i64, amount: i64| Tuple::new().with("account", account).with("amount", amount);
    let rates = vec![Tuple::new().with("fee", 5), Tuple::new().with("fee", 9)];
    let txns = vec![txn(1, -10), txn(2, 4)];
    // Alone, the transactions of different accounts commute.
    let alone = PathCheck::new(
        Ledger::default,
        "txns",
        "balances",
        PathKind::OW,
        attrs(["account"]),
    );
    assert!(alone.check(&txns).expect("runs").lie().is_none());
    let verdict = PathCheck::new(
        Ledger::default,
        "txns",
        "balances",
        PathKind::OW,
        attrs(["account"]),
    )
    .beside("rates", rates)
    .check(&txns)
    .expect("runs");
    let lie = verdict
        .lie()
        .expect("the fee depends on where the rate falls");
    assert_eq!(lie.moved_writes(), ["rates"]);
    let text = lie.to_string();
    assert!(
        text.ends_with(
            "; the path observes the state `rates` writes, and its claim covers only the order \
             of its own input: declare the path of `rates` order-sensitive too (`OW`), so that \
             blazes orders it with this one"
        ),
        "{text}"
    );
}
