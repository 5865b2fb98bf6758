//! The handler factory of each component: the runtime calls it once per
//! instance, and again when the simulator restarts a crashed instance.

use std::collections::HashMap;

use super::error::{BuildError, NameError, UnknownRouteKey};
use crate::handler::Handler;
use crate::runtime::deployment::{Deployment, Routing};
use crate::runtime::node::topology::Topology;
use blazes_core::{Analysis, Dataflow, Endpoint};

/// Makes a fresh handler for one instance.
pub type HandlerFactory = Box<dyn Fn() -> Box<dyn Handler>>;

/// Handler factories by component name.
#[derive(Default)]
pub struct Factories {
    by_component: HashMap<String, HandlerFactory>,
}

impl Factories {
    /// No factories yet.
    pub fn new() -> Factories {
        Factories::default()
    }

    /// Registers the factory of `component` (builder style).
    pub fn with(
        mut self,
        component: &str,
        factory: impl Fn() -> Box<dyn Handler> + 'static,
    ) -> Factories {
        self.by_component
            .insert(component.to_string(), Box::new(factory));
        self
    }

    /// The components with a factory, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.by_component.keys().cloned().collect();
        names.sort();
        names
    }

    /// Checks the factories against the deployed dataflow: every component
    /// has one, and none is for a component the dataflow lacks (a typo that
    /// would otherwise leave a factory unused).
    pub fn check(&self, topology: &Topology) -> Result<(), BuildError> {
        let valid = topology.component_names();
        if let Some(name) = self.names().into_iter().find(|n| !valid.contains(n)) {
            return Err(NameError::UnknownFactory { name, valid }.into());
        }
        for c in &topology.components {
            self.make(&c.name)?;
        }
        Ok(())
    }

    /// `deployment` of `dataflow` built by `build` (a [`Topology`]
    /// constructor) and checked against these factories: what every
    /// driver runs. The route keys are checked first
    /// ([`Factories::check_route_keys`]).
    pub(crate) fn deploy(
        &self,
        build: fn(&Dataflow, &Analysis, &Deployment) -> Result<Topology, BuildError>,
        dataflow: &Dataflow,
        analysis: &Analysis,
        deployment: &Deployment,
    ) -> Result<Topology, BuildError> {
        self.check_route_keys(deployment)?;
        let topology = build(dataflow, analysis, deployment)?;
        self.check(&topology)?;
        Ok(topology)
    }

    /// Checks that every stream `deployment` routes by key into a typed
    /// handler names fields of the record that handler takes (a handler of
    /// tuples takes any): an attribute the records lack would hash alike
    /// for all of them and send every record to one instance, silently.
    /// Run before the deployment's other checks, which would otherwise
    /// take the misspelt key for a key that splits the gate's groups.
    /// Routes to components or inputs without a handler are left to those.
    fn check_route_keys(&self, deployment: &Deployment) -> Result<(), NameError> {
        for ((from, to), routing) in &deployment.routing {
            let Routing::ByKey(key) = routing else {
                continue;
            };
            let Endpoint::Port {
                component,
                interface,
            } = Endpoint::parse(to)
            else {
                continue;
            };
            let Some(handler) = self.by_component.get(&component).map(|make| make()) else {
                continue;
            };
            let Some((record, fields)) = handler.input_record(&interface) else {
                continue;
            };
            if let Some(attribute) = key.iter().find(|a| !fields.contains(&a.as_str())) {
                return Err(NameError::UnknownRouteKey(Box::new(UnknownRouteKey {
                    from: from.clone(),
                    to: to.clone(),
                    attribute: attribute.clone(),
                    record: record.to_string(),
                    fields: fields.iter().map(|f| f.to_string()).collect(),
                })));
            }
        }
        Ok(())
    }

    /// A fresh handler for `component`.
    pub fn make(&self, component: &str) -> Result<Box<dyn Handler>, BuildError> {
        self.by_component
            .get(component)
            .map(|f| f())
            .ok_or_else(|| BuildError::MissingFactory(component.to_string()))
    }
}
