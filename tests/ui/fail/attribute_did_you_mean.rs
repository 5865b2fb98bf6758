//! A misspelt seal attribute: `campain` appears in no gate, so the seal
//! protects nothing; a warning on it asks "did you mean `campaign`?", and
//! the build fails because `answers` is Diverge.

#[blazes::dataflow]
mod ad_network {
    use blazes::{Emit, Tuple, component};

    /// Caches responses; answers requests it can.
    #[component(rep)]
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

    /// Keeps click counts; answers queries about them.
    #[component(rep)]
    pub struct Report;

    #[component]
    impl Report {
        #[path(from = click, to = response, label = CW)]
        fn click(&mut self, _click: Tuple, _out: &mut Emit) {}

        #[path(from = request, to = response, label = OR, gate = [id, campaign])]
        fn request(&mut self, request: Tuple, out: &mut Emit) {
            out.emit("response", request);
        }
    }

    streams! {
        clicks -> Report.click { seal: [campain] };
        requests -> Cache.request;
        Cache.request -> Report.request;
        Report.response -> Cache.response;
        Cache.response -> Cache.response;
        Cache.response -> answers;
    }
}

fn main() {}
