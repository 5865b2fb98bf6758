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
//!
//! # The public API
//!
//! | Where | What a user needs from it |
//! |---|---|
//! | the crate root | the analysis ([`analyze`], [`Dataflow`], [`Component`], [`Stream`], [`Annotation`], [`Label`], [`Analysis`]; from [`blazes_core`]), records ([`Tuple`], [`Value`], [`Record`]), handlers ([`Handler`], [`Emit`]), the macros |
//! | [`runtime`] | a dataflow in this process: [`runtime::DataflowRunner`] (deployed by a [`runtime::Deployment`], its components built by [`runtime::Factories`]), a [`runtime::Workload`] in, a [`runtime::RunReport`] out; the [`runtime::Sequencer`] trait and [`runtime::EmbeddedSequencer`]; errors [`runtime::BuildError`], [`runtime::NameError`], [`runtime::RunError`], [`runtime::SequencerError`]. For a driver of your own: [`runtime::sans_io`], the node core the three drivers share |
//! | [`sim`] | the same dataflow under a deterministic, seeded schedule with faults: [`sim::Simulation`], [`sim::SimConfig`], [`sim::SimOutcome`] |
//! | `dist` (features `nats`, `zookeeper`; `dist` is both) | across processes: `Cluster`, `ClusterConfig`, `SequencerConfig` (embedded, ZooKeeper or JetStream sequencer), `RetryPolicy`; errors `ClusterError`, `TransportError`, `MembershipError`, `ConfigError`, `ServiceError` (the client's error as its source) |
//! | [`greybox`], `sql` (feature `sql`), [`report`] | the grey-box YAML format, streaming SQL, and the reports the `blazes` command prints (feature `cli` builds the command, with `sql`) |
//!
//! The examples below share one dataflow: `Sum` adds up the values of each
//! batch of `numbers` and emits the sum when the batch is sealed.
//!
//! ```
//! # use blazes::{analyze, attrs, Annotation, Component, Dataflow, Emit, Handler, Stream, Tuple, UnknownInput};
//! #[derive(Default)]
//! struct Sum(i64);
//!
//! impl Handler for Sum {
//!     fn handle(&mut self, _: &str, t: Tuple, _: &mut Emit) -> Result<(), UnknownInput> {
//!         self.0 += t.int("v").unwrap_or_default();
//!         Ok(())
//!     }
//!     fn on_seal(&mut self, _: &str, batch: &Tuple, out: &mut Emit) {
//!         out.emit("sums", batch.clone().with("sum", std::mem::take(&mut self.0)));
//!     }
//! }
//!
//! let dataflow = Dataflow::new()
//!     .component(Component::new("Sum").path("in", "sums", Annotation::ow(attrs(["batch"]))))
//!     .stream(Stream::between("numbers", "Sum.in").sealed(attrs(["batch"])))
//!     .stream(Stream::between("Sum.sums", "out"));
//! let analysis = analyze(&dataflow).expect("valid");
//! assert_eq!(analysis.coordination[0].component, "Sum"); // a seal buffer
//! ```
//!
//! ## `runtime`: in this process, on tokio
//!
//! ```
//! # use blazes::{analyze, attrs, Annotation, Component, Dataflow, Emit, Handler, Stream, Tuple, UnknownInput};
//! # #[derive(Default)]
//! # struct Sum(i64);
//! # impl Handler for Sum {
//! #     fn handle(&mut self, _: &str, t: Tuple, _: &mut Emit) -> Result<(), UnknownInput> {
//! #         self.0 += t.int("v").unwrap_or_default();
//! #         Ok(())
//! #     }
//! #     fn on_seal(&mut self, _: &str, batch: &Tuple, out: &mut Emit) {
//! #         out.emit("sums", batch.clone().with("sum", std::mem::take(&mut self.0)));
//! #     }
//! # }
//! # let dataflow = Dataflow::new()
//! #     .component(Component::new("Sum").path("in", "sums", Annotation::ow(attrs(["batch"]))))
//! #     .stream(Stream::between("numbers", "Sum.in").sealed(attrs(["batch"])))
//! #     .stream(Stream::between("Sum.sums", "out"));
//! # let analysis = analyze(&dataflow).expect("valid");
//! use blazes::runtime::{DataflowRunner, Deployment, Factories, Workload};
//!
//! let workload = Workload::new()
//!     .record("numbers", 0, Tuple::new().with("batch", 1).with("v", 5))
//!     .record("numbers", 0, Tuple::new().with("batch", 1).with("v", 7))
//!     .seal("numbers", 0, Tuple::new().with("batch", 1));
//! let factories = Factories::new().with("Sum", || Box::<Sum>::default());
//! let runner = DataflowRunner::new(&dataflow, &analysis, &Deployment::new(), factories)?;
//! let rt = tokio::runtime::Runtime::new()?;
//! let running = rt.block_on(async { runner.start() })?; // spawns its tasks on `rt`
//! let report = rt.block_on(running.run_workload(&workload))?;
//! assert_eq!(report.records("out")[0].payload.int("sum"), Some(12));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## `sim`: the same dataflow, seeded schedules with faults
//!
//! ```
//! # use blazes::{analyze, attrs, Annotation, Component, Dataflow, Emit, Handler, Stream, Tuple, UnknownInput};
//! # #[derive(Default)]
//! # struct Sum(i64);
//! # impl Handler for Sum {
//! #     fn handle(&mut self, _: &str, t: Tuple, _: &mut Emit) -> Result<(), UnknownInput> {
//! #         self.0 += t.int("v").unwrap_or_default();
//! #         Ok(())
//! #     }
//! #     fn on_seal(&mut self, _: &str, batch: &Tuple, out: &mut Emit) {
//! #         out.emit("sums", batch.clone().with("sum", std::mem::take(&mut self.0)));
//! #     }
//! # }
//! # let dataflow = Dataflow::new()
//! #     .component(Component::new("Sum").path("in", "sums", Annotation::ow(attrs(["batch"]))))
//! #     .stream(Stream::between("numbers", "Sum.in").sealed(attrs(["batch"])))
//! #     .stream(Stream::between("Sum.sums", "out"));
//! # let analysis = analyze(&dataflow).expect("valid");
//! use blazes::runtime::{Deployment, Factories, Workload};
//! use blazes::sim::{SimConfig, Simulation};
//!
//! // Two producers: a batch is released once both have sealed it.
//! let mut workload = Workload::new();
//! for producer in 0..2 {
//!     for v in 1..=3 {
//!         let number = Tuple::new().with("batch", 1).with("v", v);
//!         workload = workload.record("numbers", producer, number);
//!     }
//!     workload = workload.seal("numbers", producer, Tuple::new().with("batch", 1));
//! }
//! let deployment = Deployment::new().source_producers("numbers", 2);
//! let factories = Factories::new().with("Sum", || Box::<Sum>::default());
//! let simulation = Simulation::new(&dataflow, &analysis, &deployment, factories)?;
//! for seed in 0..20 {
//!     let config = SimConfig::new(seed).with_faults(0.05, 0.02, 0.0, 0);
//!     let outcome = simulation.run(&workload, &config)?;
//!     assert_eq!(outcome.report.records("out")[0].payload.int("sum"), Some(12));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## `dist`: across processes (features `nats` and `zookeeper`)
//!
//! Every process builds the same dataflow and deployment and hosts a part
//! of it; the streams travel over NATS JetStream (a server must be running,
//! hence `no_run`).
//!
//! ```no_run
//! # #[cfg(feature = "dist")]
//! # async fn process(
//! #     dataflow: blazes::Dataflow,
//! #     analysis: blazes::Analysis,
//! #     factories: blazes::runtime::Factories,
//! #     batch: blazes::Tuple,
//! #     number: blazes::Tuple,
//! # ) -> Result<(), Box<dyn std::error::Error>> {
//! use blazes::dist::{Cluster, ClusterConfig};
//! use blazes::runtime::Deployment;
//!
//! let mut config = ClusterConfig::new("nats://127.0.0.1:4222", "run-1");
//! config.sequencer = "zookeeper://127.0.0.1:2181".parse()?; // needed by ordered groups only
//! let deployment = Deployment::new().source_producers("numbers", 2);
//! let cluster = Cluster::connect(&dataflow, &analysis, &deployment, factories, config).await?;
//! // This process: producer 0 of `numbers`, the instance of `Sum`, the sink.
//! let mut numbers = cluster.source("numbers", 0).await?;
//! numbers.send(number).await?;
//! numbers.seal(batch).await?;
//! numbers.close().await?;
//! let outcome = cluster.run_instance("Sum", 0).await?; // until its inputs end
//! assert!(outcome.is_success());
//! let (sums, _links) = cluster.collect_sink("out").await?;
//! for (producer, sum) in sums.read::<blazes::Tuple>()? {   // or your record type
//!     println!("{producer}: {sum}");
//! }
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod check;
pub mod checkpointed;
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
#[cfg(feature = "sql")]
pub mod sql;
pub mod tuple;
pub mod warnings;

#[doc(hidden)]
pub mod __private;

pub use blazes_core::*;
pub use handler::{Batch, Emission, Emit, Handler, RefusedSeal, UnknownInput};
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
/// A typed component's seal methods are typed too: `#[on_seal(input)]
/// fn sealed(&mut self, batch: i64, out: &mut NameOut)` runs when a seal
/// buffer releases a partition of `input`, and receives the partition's key
/// as arguments, each **named as a field of the input's record and of that
/// field's type** (checked at compile time: an unknown field is an error at
/// the argument listing the record's fields; another type is an error at the
/// argument's type). Each input may have its own `#[on_seal(input)]` method.
/// A seal reaches **every instance** of the component, whatever the stream's
/// routing, so each instance's method runs for every partition, also one it
/// received no record of (it must punctuate that partition too): a method
/// that reports a partition should report what the instance holds of it,
/// as `if let Some(sum) = self.sums.remove(&batch)` does, or every instance
/// reports it.
/// A released partition lacking one of those fields, or holding a value of
/// another type, is not handed to the method: the runtime counts it in
/// [`InstanceMetrics::undecodable_seals`](runtime::InstanceMetrics::undecodable_seals),
/// logs it, and the run's report fails. (The untyped
/// `#[on_seal] fn(&mut self, input: &str, partition: &Tuple, out: &mut NameOut)`
/// still works on a typed component, for now.)
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
///
/// #[component]
/// #[derive(Default)]
/// pub struct Count(std::collections::BTreeMap<i64, i64>);
///
/// #[component(outputs { counts: Word })]
/// impl Count {
///     #[path(from = words, to = counts, label = OW, gate = [batch])]
///     fn words(&mut self, word: Word, _out: &mut CountOut) {
///         *self.0.entry(word.batch).or_default() += 1;
///     }
///
///     #[on_seal(words)] // `batch: i64` is field `batch` of `Word`
///     fn sealed(&mut self, batch: i64, out: &mut CountOut) {
///         let n = self.0.remove(&batch).unwrap_or_default();
///         out.counts(Word { word: n.to_string(), batch });
///     }
/// }
///
/// let mut count = Count::default();
/// count.handle("words", Word { word: "a".into(), batch: 4 }.to_tuple(), &mut out).unwrap();
/// count.on_seal("words", &Tuple::new().with("batch", 4), &mut out);
/// assert_eq!(out.drain()[0].1.str("word"), Some("1"));
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

/// Marks the method a seal buffer calls when it releases a partition (at
/// every instance of the component, records of the partition or not); read
/// (and removed) by [`macro@component`] on the impl block. Used anywhere
/// else it is an error. On a typed component, `#[on_seal(input)]` names the
/// input and the method takes the partition's key fields as typed arguments,
/// named as the fields (see [`macro@component`]); on a `Tuple` component,
/// `#[on_seal]` takes `(input: &str, partition: &Tuple, out: &mut Emit)` (see
/// the example of [`macro@dataflow`]).
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

/// The README's tour, compiled and run by `cargo test --doc`: what a newcomer
/// copies from the front page builds and runs as it is.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}
