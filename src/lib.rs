//! blazes: tells the builders of distributed dataflows where coordination is
//! needed, and writes it for them (BLAZES, Alvaro et al., ICDE 2014).
//!
//! The analysis lives in [`blazes_core`] and is re-exported here.
//!
//! # Annotating Rust components
//!
//! [`macro@component`] annotates a component and its handler methods;
//! [`macro@dataflow`] checks a whole dataflow when it is compiled, so a
//! stream that could diverge fails the build (already under `cargo check`),
//! with an error on the stream that says why and how to fix it.
//! [`registry()`] lists the annotated components at run time.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// Running across processes; needs the `nats` or the `zookeeper` feature
/// (`dist` enables both), see the module's docs for what each enables.
#[cfg(any(feature = "nats", feature = "zookeeper"))]
pub mod dist;
/// The grey-box file reader: YAML annotation blocks into a validated dataflow.
pub mod greybox;
pub mod handler;
mod line_index;
pub mod locations;
pub mod record;
pub mod registry;
pub mod report;
pub mod runtime;
pub mod sim;
pub mod sql;
pub mod tuple;
pub mod warnings;

#[doc(hidden)]
pub mod __private;

pub use blazes_core::*;
pub use handler::{Emission, Emit, Handler, UnknownInput};
pub use record::{Field, Key, Record, RecordError};
pub use registry::{Annotated, registry};
pub use tuple::{Tuple, Value};

/// Annotates a component: its struct, and the impl block of its handlers.
///
/// - On the struct: `#[component]`, or `#[component(rep)]` when the component
///   runs as several replicas. Implements [`Annotated`].
/// - On the impl block: each handler method carries one or more
///   `#[path(from = input, to = output, label = CR|CW|OR|OW, gate = [attr, ..])]`
///   (`gate` only on the order-sensitive `OR`/`OW`; several `#[path]`s on one
///   method share its `from`: one method handles one input interface), and has
///   the signature `fn(&mut self, tuple: Tuple, out: &mut Emit)`. An optional
///   `#[on_seal]` method `fn(&mut self, input: &str, partition: &Tuple, out: &mut Emit)`
///   runs when a seal buffer releases a partition. The macro removes these
///   helper attributes, implements [`Handler`] by dispatching each input
///   interface to its method, and registers the component with [`registry()`].
///
/// **Typed components** declare their outputs on the impl block,
/// `#[component(outputs { sessions: Session { punctuates: [user] }, .. })]`:
/// each handler then takes its input's record by value,
/// `fn(&mut self, event: Event, out: &mut SessionizeOut)`, and emits through
/// the generated `<Name>Out` handle: one method per output (its record type
/// fixed) and `punctuate_<output>(key..)` for each output declared
/// `punctuates: [..]`. Gates and punctuation keys are checked against the
/// records at compile time. A typed component can be declared in any module
/// of any crate and named by path in a [`macro@dataflow`]'s `components!`.
///
/// ```
/// use blazes::{Emit, Handler, Record, Tuple, component};
///
/// #[derive(blazes::Record, Clone)]
/// pub struct Word { word: String, batch: i64 }
///
/// #[component]
/// #[derive(Default)]
/// pub struct Upper;
///
/// #[component(outputs { words: Word { punctuates: [batch] } })]
/// impl Upper {
///     #[path(from = words, to = words, label = CR)]
///     fn words(&mut self, word: Word, out: &mut UpperOut) {
///         let batch = word.batch;
///         out.words(Word { word: word.word.to_uppercase(), batch });
///         out.punctuate_words(batch);
///     }
/// }
///
/// let mut out = Emit::new();
/// let word = Word { word: "a".into(), batch: 1 }.to_tuple();
/// Upper.handle("words", word, &mut out).unwrap();
/// assert_eq!(out.drain()[0].1.str("word"), Some("A"));
/// assert_eq!(out.drain_punctuations()[0].1, Tuple::new().with("batch", 1));
/// ```
///
/// Labels (paper Fig. 7): `CR` confluent read-only, `CW` confluent and writes
/// state, `OR` order-sensitive read-only, `OW` order-sensitive and writes state.
///
/// ```
/// use blazes::{Emit, Handler, Tuple, component};
///
/// #[component]
/// #[derive(Default)]
/// pub struct Splitter;
///
/// #[component]
/// impl Splitter {
///     #[path(from = tweets, to = words, label = CR)]
///     fn tweets(&mut self, tweet: Tuple, out: &mut Emit) {
///         let batch = tweet.int("batch").unwrap_or_default();
///         for word in tweet.str("text").unwrap_or_default().split_whitespace() {
///             out.emit("words", Tuple::new().with("word", word).with("batch", batch));
///         }
///     }
/// }
///
/// let mut splitter = Splitter;
/// let mut out = Emit::new();
/// let tweet = Tuple::new().with("text", "to be or").with("batch", 1);
/// splitter.handle("tweets", tweet, &mut out).unwrap();
/// assert_eq!(out.drain().len(), 3);
/// assert!(splitter.handle("nowhere", Tuple::new(), &mut out).is_err());
/// ```
pub use blazes_macros::component;

/// Derives [`Record`] for a struct with named fields (see [`record`]):
///
/// ```
/// #[derive(blazes::Record, Clone, Debug, PartialEq)]
/// pub struct Event {
///     session: u64,
///     user: String,
///     millis: i64,
/// }
///
/// use blazes::Record;
/// let event = Event { session: 7, user: "ann".into(), millis: 12 };
/// let tuple = event.to_tuple();
/// assert_eq!(tuple.str("user"), Some("ann"));
/// assert_eq!(Event::from_tuple(&tuple), Ok(event));
/// assert_eq!(Event::FIELDS, ["session", "user", "millis"]);
/// ```
pub use blazes_macros::Record;

/// Checks, at compile time, the dataflow declared by an inline module.
///
/// The module holds the [`macro@component`]s (structs and impl blocks), a
/// `streams! { .. }` block and optionally `fds! { .. }`:
///
/// - `streams!`: one `from -> to { options };` per stream, each end being
///   `Component.interface`, or a plain name for a source (on the left) or a
///   sink (on the right). Options: `seal: [k, ..]` (the stream is punctuated
///   on key `k`), `seq: [a, ..]` (a replay-stable order), `independent` (one
///   producer per sealed partition), `rep` (delivered to several replicas).
/// - `fds!`: functional dependencies between attributes, `session -> user;`
///   (many-to-one) or `company <-> symbol;` (one-to-one), also with several
///   determining attributes, `[a, b] -> c;` (see [`macro@fds`]).
///
/// **Components by path.** Instead of declaring its components inline, the
/// module can name typed components declared anywhere (any module, any crate
/// of the workspace) with `components! { crate::a::Sessionize, other::Stats }`.
/// Each `#[component]` exports a hidden macro carrying its annotations; the
/// dataflow reads them through those macros and runs the same analysis, with
/// errors on the components' own `#[path]`s. It also checks every seal,
/// `seq`, `route: [..]` key and FD attribute against the record of its
/// stream, requires each sealed stream leaving a component to be punctuated
/// by it on that key (`punctuates: [..]` on the output), and adds
/// `deployment()`, a `runtime::Deployment` with the declared routes.
///
/// Options of the attribute, all optional: `requires = deterministic`
/// (default: sinks at most `Async`) or `convergent` (at most `Run`);
/// `coordinate = seal` (default: seal buffers only), `auto` (also ordering)
/// or `none`; `name = "..."` (default: the module's name); `enforce = false`
/// (report violations only through `analysis()`, without failing the build).
///
/// The macro runs [`analyze`] when it expands. When a sink's residual label
/// exceeds the requirement, the build fails with an error on the sink's
/// stream naming the label, the derivation and the fixes (the seal that
/// would make it sealable, the ordering opt-in), and an error on each path
/// or stream where the anomaly is introduced. Misuse (an unknown component or
/// interface, a forgotten `#[component]`, ...) is reported on its token.
///
/// Attribute names that are probably wrong get a **warning** on the name as
/// written ([`blazes_core::lint`]): a gate, seal, `seq` or FD attribute that
/// appears nowhere else but is close to one that does ("did you mean
/// `campaign`?"), and a seal attribute that no gate or FD names (the seal is
/// compatible with no gate). Stable Rust has no warning API for macros, so
/// the warning is rustc's `deprecated` lint ("use of deprecated unit struct
/// `..::blazes_warning`: blazes: ..."): `#[allow(deprecated)]` on the module
/// silences it, `#![deny(deprecated)]` or `-D warnings` makes it an error.
///
/// It implements [`Annotated`] and [`Handler`] for the module's components
/// (as [`macro@component`] would), registers them with [`registry()`] (and the
/// dataflow with [`registry::dataflows`]), and adds
/// `pub fn dataflow() -> Dataflow`, `pub fn analysis() -> Analysis` and
/// `pub fn factories() -> runtime::Factories` to the module. `factories()`
/// builds each component that has a `#[component]` impl block with `Default`,
/// so `DataflowRunner::new(&dataflow(), &analysis(), &deployment, factories())`
/// runs the module with the coordination of its plan; calling it when a
/// component is not `Default` is a compile error naming that component.
///
/// ```
/// #[blazes::dataflow]
/// pub mod wordcount {
///     use blazes::{Emit, Tuple, component};
///
///     #[component]
///     pub struct Splitter;
///
///     #[component]
///     impl Splitter {
///         #[path(from = tweets, to = words, label = CR)]
///         fn tweets(&mut self, tweet: Tuple, out: &mut Emit) {
///             out.emit("words", tweet);
///         }
///     }
///
///     #[component]
///     #[derive(Default)]
///     pub struct Count {
///         counts: std::collections::BTreeMap<Tuple, i64>,
///     }
///
///     #[component]
///     impl Count {
///         #[path(from = words, to = counts, label = OW, gate = [word, batch])]
///         fn words(&mut self, word: Tuple, _out: &mut Emit) {
///             *self.counts.entry(word).or_default() += 1;
///         }
///
///         #[on_seal]
///         fn sealed(&mut self, _input: &str, batch: &Tuple, out: &mut Emit) {
///             for (word, n) in &self.counts {
///                 if word.get("batch") == batch.get("batch") {
///                     out.emit("counts", word.clone().with("count", *n));
///                 }
///             }
///         }
///     }
///
///     streams! {
///         tweets -> Splitter.tweets { seal: [batch] };
///         Splitter.words -> Count.words;
///         Count.counts -> db;
///     }
/// }
///
/// let analysis = wordcount::analysis();
/// assert_eq!(analysis.sinks["db"], blazes::Label::Async);
/// assert_eq!(analysis.coordination[0].component, "Count");
/// ```
///
/// Without the seal, `Count.counts` depends on the arrival order of words and
/// the build fails:
///
/// ```compile_fail
/// #[blazes::dataflow]
/// mod wordcount {
///     use blazes::{Emit, Tuple, component};
///
///     #[component]
///     pub struct Count;
///
///     #[component]
///     impl Count {
///         #[path(from = words, to = counts, label = OW, gate = [word, batch])]
///         fn words(&mut self, _word: Tuple, _out: &mut Emit) {}
///     }
///
///     streams! {
///         words -> Count.words;
///         Count.counts -> db;
///     }
/// }
/// ```
pub use blazes_macros::dataflow;

/// A path annotation of a handler method, read (and removed) by
/// [`macro@component`] on the impl block; written `#[path(..)]` or
/// `#[blazes::path(..)]` there (importing it with `use` clashes with rustc's
/// built-in `#[path]`). Used anywhere else it is an error.
///
/// ```
/// #[blazes::component]
/// pub struct Total(i64);
///
/// #[blazes::component]
/// impl Total {
///     #[blazes::path(from = amounts, to = total, label = CW)]
///     fn amounts(&mut self, amount: blazes::Tuple, _out: &mut blazes::Emit) {
///         self.0 += amount.int("amount").unwrap_or_default();
///     }
/// }
/// ```
///
/// ```compile_fail
/// pub struct Total(i64);
///
/// impl Total {
///     #[blazes::path(from = amounts, to = total, label = CW)] // no #[component] on the impl
///     fn amounts(&mut self, _amount: blazes::Tuple, _out: &mut blazes::Emit) {}
/// }
/// ```
pub use blazes_macros::path;

/// Marks the method a seal buffer calls when it releases a partition; read
/// (and removed) by [`macro@component`] on the impl block. Used anywhere
/// else it is an error. See the example of [`macro@dataflow`].
pub use blazes_macros::on_seal;

/// The streams of a dataflow, read (and removed) by [`macro@dataflow`]
/// (see its example). Used anywhere else it is an error:
///
/// ```compile_fail
/// blazes::streams! { tweets -> Splitter.tweets; }
/// ```
pub use blazes_macros::streams;

/// The components of a [`macro@dataflow`] module, by path, when they are
/// declared elsewhere (any module, any crate): `components! { crate::a::Sessionize,
/// stats::PerUserStats }`. Each is a typed component (`#[component]` on its
/// struct, `#[component(outputs { .. })]` on its impl block). Used anywhere
/// else it is an error.
pub use blazes_macros::components;

/// The functional dependencies of a dataflow (spec §1, §3), read (and
/// removed) by [`macro@dataflow`]. Used anywhere else it is an error.
///
/// - `session -> user;` is **many-to-one** (plain): each session belongs to
///   one user, a user may have several sessions. A gate on `session` then
///   also groups by `user`, but a seal on `session` does **not** complete a
///   group of `user` (which sessions belong to a user is not known in advance).
/// - `company <-> symbol;` is **one-to-one** (injective): it also means
///   `symbol -> company`, so a seal on `company` completes the groups of a
///   gate on `symbol`.
/// - `[a, b] -> c;` and `[a, b] <-> c;` have several determining attributes.
/// - The grey-box file's key is accepted as an option:
///   `session -> user { injective: false }` is `session -> user`, and
///   `company -> symbol { injective: true }` (or `{ injective }`) is
///   `company <-> symbol`.
///
/// **Changed meaning**: before, `a -> b` in `fds!` meant one-to-one. It now
/// means many-to-one, the sound reading when in doubt: a dataflow that relied
/// on the old meaning is now rejected, not silently accepted, and the error
/// says which FD would make it pass as `a <-> b`, if it really is one-to-one.
/// The grey-box file keeps its spelling and meaning: `{ from: [a], to: b }`
/// is one-to-one (the spec's default), `injective: false` makes it plain.
///
/// ```
/// #[blazes::dataflow]
/// mod quotes {
///     use blazes::{Emit, Tuple, component};
///
///     #[component(rep)]
///     pub struct Latest;
///
///     #[component]
///     impl Latest {
///         #[path(from = trades, to = prices, label = OW, gate = [symbol])]
///         fn trades(&mut self, trade: Tuple, out: &mut Emit) {
///             out.emit("prices", trade);
///         }
///     }
///
///     streams! {
///         trades -> Latest.trades { seal: [company] };
///         Latest.prices -> screen;
///     }
///     fds! { company <-> symbol; }
/// }
///
/// // Each symbol names one company: a seal on `company` completes the
/// // groups of `symbol`, so a seal buffer suffices.
/// assert!(quotes::analysis().ok());
/// ```
///
/// With `company -> symbol` (a company may list several symbols), the same
/// module does not build:
///
/// ```compile_fail
/// #[blazes::dataflow]
/// mod quotes {
///     use blazes::{Emit, Tuple, component};
///
///     #[component(rep)]
///     pub struct Latest;
///
///     #[component]
///     impl Latest {
///         #[path(from = trades, to = prices, label = OW, gate = [symbol])]
///         fn trades(&mut self, trade: Tuple, out: &mut Emit) {
///             out.emit("prices", trade);
///         }
///     }
///
///     streams! {
///         trades -> Latest.trades { seal: [company] };
///         Latest.prices -> screen;
///     }
///     fds! { company -> symbol; }
/// }
/// # fn main() {}
/// ```
pub use blazes_macros::fds;
