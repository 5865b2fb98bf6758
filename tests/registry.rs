//! `blazes::registry()` lists the components that `#[component]` registered,
//! with their annotations, at run time.

use blazes::registry::{RegisteredComponent, dataflows};
use blazes::{Annotation, Emit, Label, PathKind, Tuple, attrs, component, registry};

/// A replicated cache (as in the paper's ad network).
#[component(rep)]
#[derive(Default)]
pub struct Cache;

#[component]
impl Cache {
    #[path(from = request, to = response, label = CR)]
    #[path(from = request, to = request, label = CR)]
    fn request(&mut self, request: Tuple, out: &mut Emit) {
        out.emit("request", request);
    }

    #[path(from = response, to = response, label = CW)]
    fn response(&mut self, response: Tuple, out: &mut Emit) {
        out.emit("response", response);
    }
}

/// A word counter with a seal handler.
#[component]
#[derive(Default)]
pub struct Count;

#[component]
impl Count {
    #[path(from = words, to = counts, label = OW, gate = [word, batch])]
    fn words(&mut self, word: Tuple, out: &mut Emit) {
        out.emit("counts", word);
    }

    #[on_seal]
    fn batch_done(&mut self, _input: &str, _partition: &Tuple, _out: &mut Emit) {}
}

/// Components declared in a dataflow module register too.
#[blazes::dataflow]
pub mod pipeline {
    use blazes::{Emit, Tuple, component};

    #[component]
    pub struct Upper;

    #[component]
    impl Upper {
        #[path(from = text, to = upper, label = CR)]
        fn text(&mut self, text: Tuple, out: &mut Emit) {
            out.emit("upper", text);
        }
    }

    streams! {
        lines -> Upper.text;
        Upper.upper -> screen;
    }
}

fn registered(name: &str) -> RegisteredComponent {
    registry()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("`{name}` is not registered"))
}

#[test]
fn lists_every_component_of_this_crate_sorted_by_module_then_name() {
    let names: Vec<String> = registry().iter().map(|c| c.qualified_name()).collect();
    assert_eq!(
        names,
        [
            "registry::Cache",
            "registry::Count",
            "registry::pipeline::Upper"
        ]
    );
}

#[test]
fn records_the_rep_flag_paths_labels_and_interfaces() {
    let cache = registered("Cache");
    assert!(cache.rep);
    assert_eq!(cache.inputs, ["request", "response"]);
    assert_eq!(cache.outputs, ["response", "request"]);
    let paths: Vec<(&str, &str, PathKind, &str)> = cache
        .paths
        .iter()
        .map(|p| (p.from.as_str(), p.to.as_str(), p.label, p.handler.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            ("request", "response", PathKind::CR, "request"),
            ("request", "request", PathKind::CR, "request"),
            ("response", "response", PathKind::CW, "response"),
        ]
    );
    assert_eq!(cache.on_seal, None);
}

#[test]
fn records_gates_and_the_on_seal_method() {
    let count = registered("Count");
    assert!(!count.rep);
    assert_eq!(count.paths[0].gate, attrs(["word", "batch"]));
    assert_eq!(
        count.paths[0].annotation(),
        Annotation::ow(attrs(["word", "batch"]))
    );
    assert_eq!(count.on_seal.as_deref(), Some("batch_done"));
}

#[test]
fn registered_components_are_the_model_the_dataflow_macro_checked() {
    let upper = registered("Upper");
    assert_eq!(upper.module_path, "registry::pipeline");
    let checked = pipeline::dataflow();
    assert_eq!(Some(&upper.component()), checked.find_component("Upper"));
    assert_eq!(pipeline::analysis().sinks["screen"], Label::Async);
}

#[test]
fn dataflow_modules_register_their_dataflow() {
    let registered = dataflows();
    assert_eq!(registered.len(), 1);
    assert_eq!(registered[0].module_path, "registry::pipeline");
    assert_eq!(registered[0].dataflow, pipeline::dataflow());
}
