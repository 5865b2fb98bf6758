//! The vote on a partition's seals (runtime spec, "Seal buffer" and
//! "Liveness and membership"; paper §V-B1), written once for every wrapper
//! that counts seals: the seal buffer, the instance's own votes on voted and
//! read-gated inputs ([`InputSeals`](super::input_seals::InputSeals)) and
//! the forwarder of seals through confluent paths
//! ([`SealForwarder`](super::forwarder::SealForwarder)).
//!
//! The electorate of an input is the producers expected to seal it (the
//! members of its stream): a producer that is not a member does not vote. A
//! partition of the input is complete
//! - under [`Vote::Unanimous`], once every member sealed it or is retired (a
//!   retired member counts as having sealed every partition, present and
//!   future);
//! - under [`Vote::Independent`], once one member sealed it (each partition
//!   has one master), or once every member is retired: a retirement does not
//!   stand for a seal while another member, which may master the partition,
//!   can still seal it.
//!
//! An input without members has no seal to wait for. Sans-IO: what to do
//! with a complete partition, and what a partition seen complete before
//! (and forgotten) means, is the wrapper's.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use blazes_core::Vote;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::runtime::coordination::hashed::{HashMap, HashSet};
use crate::runtime::node::envelope::{InputId, ProducerId};
use crate::tuple::{Tuple, Value};

/// Who votes on the partitions of each counted input, who of them retired,
/// and the rule that says when a partition is complete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Electorate {
    rule: Vote,
    /// Inputs voted under [`Vote::Independent`] whatever `rule` says: each
    /// fed by one stream with one producer per partition.
    independent: BTreeSet<InputId>,
    /// Per counted input, the producers expected to seal its partitions.
    members: BTreeMap<InputId, BTreeSet<ProducerId>>,
    /// Per input, the members retired: each sealed every partition.
    retired: BTreeMap<InputId, BTreeSet<ProducerId>>,
}

impl Electorate {
    /// The electorate of the inputs of `members` (each with the producers
    /// expected to seal it), none retired yet, under `rule`.
    pub fn new(rule: Vote, members: BTreeMap<InputId, BTreeSet<ProducerId>>) -> Electorate {
        Electorate {
            rule,
            independent: BTreeSet::new(),
            members,
            retired: BTreeMap::new(),
        }
    }

    /// The same, with `inputs` voted under [`Vote::Independent`] (builder
    /// style): the inputs the analysis finds independent
    /// (`Analysis::independent_input`), for a wrapper whose rule is
    /// otherwise unanimous.
    pub fn independent_on(mut self, inputs: BTreeSet<InputId>) -> Electorate {
        self.independent = inputs;
        self
    }

    /// True when the partitions of `input` are voted on here.
    pub fn counts(&self, input: InputId) -> bool {
        self.members.contains_key(&input)
    }

    /// The inputs voted on, in order.
    pub fn inputs(&self) -> impl Iterator<Item = InputId> + '_ {
        self.members.keys().copied()
    }

    /// True when `input` is voted on and has at least one member.
    pub fn has_members(&self, input: InputId) -> bool {
        self.members.get(&input).is_some_and(|m| !m.is_empty())
    }

    /// True when `producer` may vote on `input`'s partitions.
    pub fn is_member(&self, input: InputId, producer: ProducerId) -> bool {
        self.members
            .get(&input)
            .is_some_and(|m| m.contains(&producer))
    }

    /// Per input, the members retired (for a checkpoint: a retirement is
    /// read once, so a restored instance must not forget it).
    pub fn retired(&self) -> &BTreeMap<InputId, BTreeSet<ProducerId>> {
        &self.retired
    }

    /// Takes back the retirements a checkpoint saved, of members only (the
    /// members come from the plan again).
    pub fn restore_retired(&mut self, mut retired: BTreeMap<InputId, BTreeSet<ProducerId>>) {
        for (input, producers) in &mut retired {
            producers.retain(|p| self.is_member(*input, *p));
        }
        retired.retain(|_, producers| !producers.is_empty());
        self.retired = retired;
    }

    /// True when `producer` is retired on `input`.
    #[inline]
    pub fn is_retired(&self, input: InputId, producer: ProducerId) -> bool {
        self.retired
            .get(&input)
            .is_some_and(|r| r.contains(&producer))
    }

    /// True when every member of `input` is retired: every partition of
    /// it, present and future, is sealed (vacuously, for an input without
    /// members; never, for an input not voted on).
    pub fn all_retired(&self, input: InputId) -> bool {
        self.members
            .get(&input)
            .is_some_and(|m| m.iter().all(|p| self.is_retired(input, *p)))
    }

    /// Retires member `producer` on `input`: true the first time; a
    /// stranger changes nothing.
    pub fn retire(&mut self, input: InputId, producer: ProducerId) -> bool {
        self.is_member(input, producer) && self.retired.entry(input).or_default().insert(producer)
    }

    /// True when `producer` sealed a partition of `input` whose sealers are
    /// `sealed`: itself, or by its retirement.
    #[inline]
    pub fn has_sealed(
        &self,
        input: InputId,
        producer: ProducerId,
        sealed: Option<&Sealers>,
    ) -> bool {
        sealed.is_some_and(|s| s.contains(&producer)) || self.is_retired(input, producer)
    }

    /// The rule: true when a partition of `input` whose sealers are
    /// `sealed` is complete (see the module). Never for an input not voted
    /// on.
    pub fn complete(&self, input: InputId, sealed: Option<&Sealers>) -> bool {
        let Some(members) = self.members.get(&input) else {
            return false;
        };
        let sealed_it = |p: &ProducerId| sealed.is_some_and(|s| s.contains(p));
        let retired = |p: &ProducerId| self.is_retired(input, *p);
        let rule = if self.independent.contains(&input) {
            Vote::Independent
        } else {
            self.rule
        };
        match rule {
            Vote::Unanimous => members.iter().all(|p| sealed_it(p) || retired(p)),
            Vote::Independent => {
                members.is_empty() || members.iter().any(sealed_it) || members.iter().all(retired)
            }
        }
    }

    /// True when a partition with seals on several inputs is complete on
    /// every input voted on.
    pub fn decides(&self, ballot: &Ballot) -> bool {
        self.inputs()
            .all(|input| self.complete(input, ballot.of(input)))
    }

    /// The members of `input` that neither sealed a partition whose sealers
    /// are `sealed` nor retired, in order.
    pub fn missing<'a>(
        &'a self,
        input: InputId,
        sealed: Option<&'a Sealers>,
    ) -> impl Iterator<Item = ProducerId> + 'a {
        self.members_where(input, move |p| !self.has_sealed(input, p, sealed))
    }

    /// The members of `input` among `sealed`, in order.
    pub fn sealers<'a>(
        &'a self,
        input: InputId,
        sealed: Option<&'a Sealers>,
    ) -> impl Iterator<Item = ProducerId> + 'a {
        self.members_where(input, move |p| sealed.is_some_and(|s| s.contains(&p)))
    }

    /// The members of `input` that `keep` keeps, in order.
    fn members_where<'a>(
        &'a self,
        input: InputId,
        keep: impl Fn(ProducerId) -> bool + 'a,
    ) -> impl Iterator<Item = ProducerId> + 'a {
        self.members
            .get(&input)
            .into_iter()
            .flatten()
            .copied()
            .filter(move |p| keep(*p))
    }
}

/// The members that sealed one partition of one input, in order, without
/// repeats: a few producers, held inline (a vote opened per partition
/// allocates nothing). Saved as the list, as a set would be.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "Vec<ProducerId>", from = "Vec<ProducerId>")]
pub struct Sealers(SmallVec<[ProducerId; 4]>);

impl Sealers {
    /// True when `producer` sealed.
    #[inline]
    pub fn contains(&self, producer: &ProducerId) -> bool {
        self.0.binary_search(producer).is_ok()
    }

    /// Counts `producer`'s seal: true the first time.
    pub fn insert(&mut self, producer: ProducerId) -> bool {
        match self.0.binary_search(&producer) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, producer);
                true
            }
        }
    }

    /// The producers that sealed, in order.
    pub fn iter(&self) -> impl Iterator<Item = &ProducerId> {
        self.0.iter()
    }
}

impl FromIterator<ProducerId> for Sealers {
    fn from_iter<I: IntoIterator<Item = ProducerId>>(producers: I) -> Sealers {
        let mut list: SmallVec<[ProducerId; 4]> = producers.into_iter().collect();
        list.sort_unstable();
        list.dedup();
        Sealers(list)
    }
}

impl From<Vec<ProducerId>> for Sealers {
    fn from(producers: Vec<ProducerId>) -> Sealers {
        producers.into_iter().collect()
    }
}

impl From<Sealers> for Vec<ProducerId> {
    fn from(sealers: Sealers) -> Vec<ProducerId> {
        sealers.0.into_vec()
    }
}

/// The seals one partition received, by input: the vote of a wrapper whose
/// partitions span several inputs (the seal buffer), held inline for one
/// input. Saved as the map from input to sealers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    into = "BTreeMap<InputId, Sealers>",
    from = "BTreeMap<InputId, Sealers>"
)]
pub struct Ballot {
    /// In input order.
    by_input: SmallVec<[(InputId, Sealers); 1]>,
}

impl Ballot {
    /// Counts `producer`'s seal on `input` (the caller checked membership).
    pub fn cast(&mut self, input: InputId, producer: ProducerId) {
        let at = match self.by_input.binary_search_by_key(&input, |(i, _)| *i) {
            Ok(at) => at,
            Err(at) => {
                self.by_input.insert(at, (input, Sealers::default()));
                at
            }
        };
        self.by_input[at].1.insert(producer);
    }

    /// The producers that sealed on `input`.
    #[inline]
    pub fn of(&self, input: InputId) -> Option<&Sealers> {
        self.by_input
            .iter()
            .find(|(i, _)| *i == input)
            .map(|(_, sealers)| sealers)
    }
}

impl From<BTreeMap<InputId, Sealers>> for Ballot {
    fn from(by_input: BTreeMap<InputId, Sealers>) -> Ballot {
        Ballot {
            by_input: by_input.into_iter().collect(),
        }
    }
}

impl From<Ballot> for BTreeMap<InputId, Sealers> {
    fn from(ballot: Ballot) -> BTreeMap<InputId, Sealers> {
        ballot.by_input.into_iter().collect()
    }
}

/// The open votes on partitions of single inputs, keyed by input and
/// partition: a partition is open from its first member's seal until the
/// vote completes, and then forgotten (a later seal opens it again; telling
/// such a seal from a new one is the caller's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Votes {
    electorate: Electorate,
    /// Per input and partition, the members that sealed it so far: hashed,
    /// as producers far apart leave many votes open and a search among
    /// them compared whole tuples (names and values) at every step; ordered
    /// only when listed.
    open: HashMap<(InputId, Tuple), Sealers>,
    /// Per input and member, the partitions of open votes it sealed: a
    /// record it sends of one of them afterwards broke its seal's promise.
    /// Kept only where records are checked against it
    /// ([`Votes::keeping_sealed_open`]).
    sealed_open: HashMap<(InputId, ProducerId), SealedOpen>,
    keeps_sealed_open: bool,
}

/// The partitions of open votes one member sealed on one input, grouped by
/// their attributes (one group in practice: a source's seals keep its seal
/// key, a component's punctuations are its typed key), so a record's
/// partition is looked up, not compared with each. A group holds each
/// partition's values in its attributes' order: a key of one attribute is
/// inline, so a lookup builds it without allocating.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SealedOpen {
    groups: Vec<(Vec<String>, HashSet<PartitionValues>)>,
}

/// A partition's values, in the order of its attributes (its group's
/// here, the seal key's in a seal buffer): a key of one attribute, the usual
/// batch or window, is held inline, so building one allocates nothing.
pub(crate) type PartitionValues = SmallVec<[Value; 1]>;

/// `partition`'s values, in its attributes' order.
fn values_of(partition: &Tuple) -> PartitionValues {
    partition.fields().map(|(_, v)| v.clone()).collect()
}

impl SealedOpen {
    fn insert(&mut self, partition: &Tuple) {
        let at = match self
            .groups
            .iter()
            .position(|(names, _)| same_names(names, partition))
        {
            Some(at) => at,
            None => {
                let names = partition.fields().map(|(n, _)| n.to_string()).collect();
                self.groups.push((names, HashSet::default()));
                self.groups.len() - 1
            }
        };
        self.groups[at].1.insert(values_of(partition));
    }

    fn remove(&mut self, partition: &Tuple) {
        let values = values_of(partition);
        for (names, partitions) in &mut self.groups {
            if same_names(names, partition) {
                partitions.remove(&values);
            }
        }
        self.groups.retain(|(_, partitions)| !partitions.is_empty());
    }

    fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The partitions' one attribute, when they have one and the same.
    pub fn single_attribute(&self) -> Option<&str> {
        match &self.groups[..] {
            [(names, _)] if names.len() == 1 => Some(&names[0]),
            _ => None,
        }
    }

    /// True when the record whose attribute values `value_of` reads belongs
    /// to one of these partitions (has each of its attributes, equal).
    pub fn holds<'v>(&self, value_of: impl Fn(&str) -> Option<Cow<'v, Value>>) -> bool {
        self.groups.iter().any(|(names, partitions)| {
            let mut key = PartitionValues::new();
            for name in names {
                match value_of(name) {
                    Some(value) => key.push(value.into_owned()),
                    None => return false,
                }
            }
            partitions.contains(&key)
        })
    }
}

/// Notes in `index` that `producer` sealed `partition` of `input` in a
/// vote still open ([`Votes::sealed_open_by`] reads it).
fn sealed_in_open_vote(
    index: &mut HashMap<(InputId, ProducerId), SealedOpen>,
    input: InputId,
    producer: ProducerId,
    partition: &Tuple,
) {
    index
        .entry((input, producer))
        .or_default()
        .insert(partition);
}

/// True when `partition`'s attributes are `names`, in order.
fn same_names(names: &[String], partition: &Tuple) -> bool {
    names
        .iter()
        .map(String::as_str)
        .eq(partition.fields().map(|(n, _)| n))
}

impl Votes {
    /// No vote open yet, among `electorate`; who sealed which open
    /// partition is not kept (see [`Votes::keeping_sealed_open`]).
    pub fn new(electorate: Electorate) -> Votes {
        Votes {
            electorate,
            open: HashMap::default(),
            sealed_open: HashMap::default(),
            keeps_sealed_open: false,
        }
    }

    /// The votes, keeping per member the partitions of open votes it
    /// sealed ([`Votes::sealed_open_by`]): for an instance that handles a
    /// voted input's records as they come and must tell a record sent
    /// after its producer's seal (builder style).
    pub fn keeping_sealed_open(mut self) -> Votes {
        self.keeps_sealed_open = true;
        self
    }

    /// The partitions `producer` sealed on `input` whose votes are still
    /// open (`None` when there is none).
    pub fn sealed_open_by(&self, input: InputId, producer: ProducerId) -> Option<&SealedOpen> {
        self.sealed_open.get(&(input, producer))
    }

    /// Forgets, for each of `sealers`, that it sealed `partition` of `input`
    /// in an open vote (the vote closed).
    fn closed(&mut self, input: InputId, partition: &Tuple, sealers: &Sealers) {
        if !self.keeps_sealed_open {
            return;
        }
        for producer in sealers.iter() {
            if let Some(sealed) = self.sealed_open.get_mut(&(input, *producer)) {
                sealed.remove(partition);
                if sealed.is_empty() {
                    self.sealed_open.remove(&(input, *producer));
                }
            }
        }
    }

    /// Who votes, and who retired.
    pub fn electorate(&self) -> &Electorate {
        &self.electorate
    }

    /// Counts `producer`'s seal of `partition` on `input`: true when it
    /// completes the vote (which then closes). A stranger's seal is no vote.
    pub fn seal(&mut self, input: InputId, producer: ProducerId, partition: &Tuple) -> bool {
        if !self.electorate.is_member(input, producer) {
            return false;
        }
        let mut entry = match self.open.entry((input, partition.clone())) {
            Entry::Occupied(open) => open,
            Entry::Vacant(new) => new.insert_entry(Sealers::default()),
        };
        let new = entry.get_mut().insert(producer);
        if !self.electorate.complete(input, Some(entry.get())) {
            if new && self.keeps_sealed_open {
                sealed_in_open_vote(&mut self.sealed_open, input, producer, partition);
            }
            return false;
        }
        let sealers = entry.remove();
        self.closed(input, partition, &sealers);
        true
    }

    /// Retires member `producer` on `input`: the open partitions of the
    /// input whose vote this completes, in key order (they close). Nothing
    /// for a stranger or a producer already retired.
    pub fn retire(&mut self, input: InputId, producer: ProducerId) -> Vec<Tuple> {
        if !self.electorate.retire(input, producer) {
            return Vec::new();
        }
        let mut complete: Vec<(InputId, Tuple)> = self
            .open
            .iter()
            .filter(|((i, _), sealed)| *i == input && self.electorate.complete(input, Some(sealed)))
            .map(|(entry, _)| entry.clone())
            .collect();
        complete.sort_unstable();
        complete
            .into_iter()
            .map(|entry| {
                if let Some(sealers) = self.open.remove(&entry) {
                    self.closed(input, &entry.1, &sealers);
                }
                entry.1
            })
            .collect()
    }

    /// How many votes are open.
    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// The open votes, in input and key order, each with its sealers.
    pub fn open(&self) -> impl Iterator<Item = (&(InputId, Tuple), &Sealers)> {
        let mut open: Vec<_> = self.open.iter().collect();
        open.sort_unstable_by(|a, b| a.0.cmp(b.0));
        open.into_iter()
    }

    /// The open votes in input and key order, each with the members whose
    /// seal is missing and those that sealed it.
    pub fn open_votes(&self) -> Vec<OpenVote> {
        self.open()
            .map(|((input, partition), sealed)| OpenVote {
                input: *input,
                partition: partition.clone(),
                missing: self.electorate.missing(*input, Some(sealed)).collect(),
                sealed: self.electorate.sealers(*input, Some(sealed)).collect(),
            })
            .collect()
    }

    /// Per input, the members retired (for a checkpoint).
    pub fn retired(&self) -> &BTreeMap<InputId, BTreeSet<ProducerId>> {
        self.electorate.retired()
    }

    /// Takes back the open votes a checkpoint saved.
    pub fn restore_open(&mut self, open: impl IntoIterator<Item = ((InputId, Tuple), Sealers)>) {
        self.open = open.into_iter().collect();
        self.sealed_open.clear();
        if !self.keeps_sealed_open {
            return;
        }
        for ((input, partition), sealers) in &self.open {
            for producer in sealers.iter() {
                sealed_in_open_vote(&mut self.sealed_open, *input, *producer, partition);
            }
        }
    }

    /// Takes back the retirements a checkpoint saved; the members stay this
    /// electorate's (they come from the plan again).
    pub fn restore_retired(&mut self, retired: BTreeMap<InputId, BTreeSet<ProducerId>>) {
        self.electorate.restore_retired(retired);
    }
}

/// A partition of an input that some members sealed and others not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenVote {
    /// The input.
    pub input: InputId,
    /// The partition's seal-key values.
    pub partition: Tuple,
    /// Members whose seal is missing.
    pub missing: Vec<ProducerId>,
    /// Members that sealed it.
    pub sealed: Vec<ProducerId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(h: i64) -> Tuple {
        Tuple::new().with("hour", h)
    }

    fn members(ids: &[u32]) -> BTreeSet<ProducerId> {
        ids.iter().map(|&p| ProducerId(p)).collect()
    }

    fn sealers(ids: &[u32]) -> Sealers {
        ids.iter().map(|&p| ProducerId(p)).collect()
    }

    #[test]
    fn a_members_open_seals_are_known_until_the_vote_closes_or_is_restored() {
        let holds = |votes: &Votes, producer: u32, h: i64| {
            let record = hour(h);
            votes
                .sealed_open_by(0, ProducerId(producer))
                .is_some_and(|s| s.holds(|name| record.get(name).map(std::borrow::Cow::Borrowed)))
        };
        let mut votes = Votes::new(two_members(Vote::Unanimous)).keeping_sealed_open();
        assert!(!votes.seal(0, ProducerId(1), &hour(1)));
        assert!(holds(&votes, 1, 1) && !holds(&votes, 1, 2) && !holds(&votes, 2, 1));
        let mut restored = Votes::new(two_members(Vote::Unanimous)).keeping_sealed_open();
        restored.restore_open(votes.open().map(|(k, v)| (k.clone(), v.clone())));
        assert!(holds(&restored, 1, 1), "rebuilt from the open votes");
        // Votes that do not keep them (a seal forwarder's) count the same.
        let mut counted = Votes::new(two_members(Vote::Unanimous));
        assert!(!counted.seal(0, ProducerId(1), &hour(1)));
        assert!(!holds(&counted, 1, 1), "not kept");
        counted.restore_open(votes.open().map(|(k, v)| (k.clone(), v.clone())));
        assert!(!holds(&counted, 1, 1), "not rebuilt either");
        assert!(counted.seal(0, ProducerId(2), &hour(1)));
        assert!(votes.seal(0, ProducerId(2), &hour(1)));
        assert!(votes.sealed_open_by(0, ProducerId(1)).is_none(), "closed");
        assert!(!votes.seal(0, ProducerId(2), &hour(3)));
        assert_eq!(votes.retire(0, ProducerId(1)), vec![hour(3)]);
        assert!(
            votes.sealed_open_by(0, ProducerId(2)).is_none(),
            "closed by the retirement"
        );
    }

    #[test]
    fn sealers_and_ballots_are_saved_as_the_set_and_the_map_they_replace() {
        let mut ballot = Ballot::default();
        for (input, producer) in [(2, 7), (0, 3), (0, 1), (0, 3)] {
            ballot.cast(input, ProducerId(producer));
        }
        let as_maps: BTreeMap<InputId, BTreeSet<ProducerId>> =
            BTreeMap::from([(0, members(&[1, 3])), (2, members(&[7]))]);
        let json = serde_json::to_string(&ballot).expect("serialises");
        assert_eq!(json, serde_json::to_string(&as_maps).expect("serialises"));
        let back: Ballot = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, ballot);
        assert_eq!(
            ballot.of(0).map(|s| s.iter().copied().collect::<Vec<_>>()),
            Some(vec![ProducerId(1), ProducerId(3)]),
            "in order, a repeated seal counted once"
        );
        assert!(ballot.of(1).is_none());
        let unsorted: Sealers = serde_json::from_str("[3,1,3]").expect("reads");
        assert_eq!(
            unsorted,
            sealers(&[1, 3]),
            "read back sorted, without repeats"
        );
        assert!(unsorted.contains(&ProducerId(3)) && !unsorted.contains(&ProducerId(2)));
    }

    /// Input 0 with producers 1 and 2, under `rule`.
    fn two_members(rule: Vote) -> Electorate {
        Electorate::new(rule, BTreeMap::from([(0, members(&[1, 2]))]))
    }

    #[test]
    fn a_unanimous_partition_is_complete_once_every_member_sealed_it() {
        let e = two_members(Vote::Unanimous);
        assert!(!e.complete(0, None));
        assert!(!e.complete(0, Some(&sealers(&[1]))), "2 has not sealed");
        assert!(e.complete(0, Some(&sealers(&[1, 2]))));
        assert!(!e.complete(1, Some(&sealers(&[1, 2]))), "input 1 not voted");
        let mut votes = Votes::new(e);
        assert!(!votes.seal(0, ProducerId(1), &hour(1)));
        assert!(!votes.seal(0, ProducerId(1), &hour(1)), "twice is one vote");
        assert!(votes.seal(0, ProducerId(2), &hour(1)));
        assert_eq!(votes.open_count(), 0, "the complete vote closed");
    }

    #[test]
    fn an_independent_partition_is_complete_with_one_member_seal() {
        let e = two_members(Vote::Independent);
        assert!(!e.complete(0, None));
        assert!(e.complete(0, Some(&sealers(&[2]))));
        assert!(!e.complete(0, Some(&sealers(&[9]))), "9 is no member");
        let mut ballot = Ballot::default();
        assert!(!e.decides(&ballot));
        ballot.cast(0, ProducerId(1));
        assert!(e.decides(&ballot));
    }

    /// `on_an_independent_input_only_the_last_retirement_stands_for_a_seal`
    /// (seal buffer), at the rule itself.
    #[test]
    fn an_independent_retirement_stands_for_a_seal_only_once_every_member_is_retired() {
        let mut e = two_members(Vote::Independent);
        assert!(e.retire(0, ProducerId(2)));
        assert!(!e.complete(0, None), "1 may still seal it");
        assert!(!e.all_retired(0));
        assert!(e.retire(0, ProducerId(1)));
        assert!(e.complete(0, None));
        assert!(e.all_retired(0));
    }

    #[test]
    fn strangers_do_not_vote_nor_retire() {
        let mut votes = Votes::new(two_members(Vote::Unanimous));
        assert!(!votes.seal(0, ProducerId(9), &hour(1)));
        assert!(!votes.seal(1, ProducerId(1), &hour(1)), "input 1 not voted");
        assert_eq!(votes.open_count(), 0, "no vote opened");
        assert!(votes.retire(0, ProducerId(9)).is_empty());
        assert!(votes.retired().is_empty(), "a stranger does not retire");
        assert!(!votes.electorate().is_member(0, ProducerId(9)));
        let mut ballot = Ballot::default();
        ballot.cast(0, ProducerId(9));
        ballot.cast(0, ProducerId(1));
        assert!(
            !two_members(Vote::Unanimous).decides(&ballot),
            "a stranger's seal does not stand for 2's"
        );
    }

    #[test]
    fn a_retirement_completes_the_open_partitions_in_key_order_and_later_ones() {
        let mut votes = Votes::new(two_members(Vote::Unanimous));
        assert!(!votes.seal(0, ProducerId(1), &hour(2)));
        assert!(!votes.seal(0, ProducerId(1), &hour(1)));
        assert_eq!(votes.retire(0, ProducerId(2)), vec![hour(1), hour(2)]);
        assert!(votes.retire(0, ProducerId(2)).is_empty(), "idempotent");
        assert!(
            votes.seal(0, ProducerId(1), &hour(3)),
            "a later partition needs 1's seal only"
        );
        assert!(!votes.electorate().all_retired(0), "1 may still seal");
    }

    #[test]
    fn a_retirement_leaves_open_the_partitions_another_member_has_not_sealed() {
        let e = Electorate::new(Vote::Unanimous, BTreeMap::from([(0, members(&[1, 2, 3]))]));
        let mut votes = Votes::new(e);
        assert!(!votes.seal(0, ProducerId(1), &hour(1)));
        assert!(!votes.seal(0, ProducerId(2), &hour(2)));
        assert!(!votes.seal(0, ProducerId(1), &hour(2)));
        assert_eq!(votes.retire(0, ProducerId(3)), vec![hour(2)]);
        let open = votes.open_votes();
        let missing: Vec<_> = open.iter().map(|v| (&v.partition, &v.missing)).collect();
        assert_eq!(
            missing,
            [(&hour(1), &vec![ProducerId(2)])],
            "hour 1 misses 2's seal, not retired 3's"
        );
        assert_eq!(open[0].sealed, [ProducerId(1)]);
    }

    #[test]
    fn a_partition_spanning_inputs_is_complete_on_each() {
        let e = Electorate::new(
            Vote::Unanimous,
            BTreeMap::from([(0, members(&[1])), (1, members(&[2])), (2, members(&[]))]),
        );
        let mut ballot = Ballot::default();
        ballot.cast(0, ProducerId(1));
        assert!(!e.decides(&ballot), "input 1 waits for 2");
        ballot.cast(1, ProducerId(2));
        assert!(e.decides(&ballot), "input 2 has no member to wait for");
        assert!(e.has_sealed(0, ProducerId(1), ballot.of(0)));
        assert!(!e.has_sealed(0, ProducerId(2), ballot.of(0)));
    }

    /// A seal buffer's checkpoint holds each open partition's ballot as the
    /// map it was before the vote was shared.
    #[test]
    fn a_ballot_is_saved_as_its_map() {
        let mut ballot = Ballot::default();
        ballot.cast(0, ProducerId(1));
        ballot.cast(2, ProducerId(3));
        let map: BTreeMap<InputId, BTreeSet<ProducerId>> =
            BTreeMap::from([(0, members(&[1])), (2, members(&[3]))]);
        assert_eq!(
            postcard::to_allocvec(&ballot).expect("encodes"),
            postcard::to_allocvec(&map).expect("encodes")
        );
        assert_eq!(
            serde_json::to_string(&ballot).expect("encodes"),
            serde_json::to_string(&map).expect("encodes")
        );
    }

    #[test]
    fn a_restored_vote_keeps_counting() {
        let mut votes = Votes::new(two_members(Vote::Unanimous));
        votes.seal(0, ProducerId(1), &hour(1));
        let open: Vec<_> = votes.open().map(|(k, v)| (k.clone(), v.clone())).collect();
        let mut again = Votes::new(two_members(Vote::Unanimous));
        again.restore_open(open);
        assert!(again.seal(0, ProducerId(2), &hour(1)));
    }
}
